package dev.fsdriver.client;

import dev.fsdriver.client.cache.ListingSequences;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem.Reply;

/**
 * What the events layer reads of the server for itself (the event applier's checks, an overflow's
 * resync, the attributes an injection announces), with no kernel request behind it. Reads only
 * (besides pushing out this mount's own held-back writes of a file first, as a program's stat
 * would): a change notification never changes the server, and this is all the events layer can
 * reach of it besides the kernel's own requests. {@code fresh}: answered by the server itself, never from
 * what this client keeps while events flow (a program's stat may have refilled it after the
 * change the caller looks for). Listings are in the kernel's handle space, so
 * {@link #eventSequence} answers for both.
 */
public interface OwnReads extends ListingSequences {
    /**
     * The entry of {@code name} in {@code parent}, with one lookup reference the caller hands to
     * the kernel or gives back ({@link #forget}); answered later, possibly on a transport thread.
     */
    void lookup(long parent, String name, boolean fresh, Reply<FuseEntry> reply) throws FuseException;

    /** The attributes of {@code node}; answered later, possibly on a transport thread. */
    void getattr(long node, boolean fresh, Reply<FuseAttrReply> reply) throws FuseException;

    /** Opens directory {@code dir} for {@link #readdir}; returns its handle. */
    long opendir(long dir) throws FuseException;

    /** As FUSE's READDIR: entries from {@code offset} to {@code filler} until it returns false. */
    void readdir(long dir, long fh, long offset, DirFiller filler) throws FuseException;

    void releasedir(long dir, long fh);

    /** Gives back {@code count} lookup references to {@code node}. */
    void forget(long node, long count);
}
