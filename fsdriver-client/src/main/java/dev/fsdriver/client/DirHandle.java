package dev.fsdriver.client;

import dev.fsdriver.client.cache.ListingSequences;
import dev.fsdriver.proto.v1.DirEntry;
import java.util.BitSet;
import java.util.List;

/**
 * One open directory: the last ReadDir page, so the kernel's many small READDIR(PLUS) calls
 * (a 4 KiB buffer each) are served from one server page of up to readDirPageSize entries.
 * The kernel serialises readdir on one open directory; the monitor is for safety only.
 */
final class DirHandle {
    final long nodeId;
    // Guarded by this.
    List<DirEntry> page = List.of();
    /** The cursor the page was fetched from, or -1 for none. */
    long pageCursor = -1;
    boolean pageEof;
    boolean pagePlus;
    /** Entries of the page whose server reference is spent: given to the kernel with their node, or forgotten. */
    BitSet given = new BitSet();
    /** The listings' change epoch when the page was fetched (see RemoteCaches' relistings). */
    long fetchEpoch = -1;
    /** Until when a listing kept at its close may be used again (see RemoteCaches' relistings). */
    long keepUntilNanos;
    /** The page's ReadDirReply.event_sequence (see {@link ListingSequences}); read without the monitor. */
    volatile long eventSequence;

    DirHandle(long nodeId) {
        this.nodeId = nodeId;
    }
}
