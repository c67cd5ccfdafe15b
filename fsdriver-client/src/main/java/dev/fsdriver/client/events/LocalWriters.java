package dev.fsdriver.client.events;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What this mount's own programs are doing to file sizes, for the rule of injected MODIFY and
 * ATTRIB events (see {@link EventApplier}): the kernel sets a file's i_size to the size in the
 * answer to the injected truncate or chmod (fuse_do_setattr) and to an injected GETATTR's
 * (fuse_change_attributes), and drops the page cache past it. While a program here has the file
 * open for writing, the kernel's size can be ahead of anything the server or an event says
 * (write-behind, an ftruncate answered moments ago, dirty pages of a shared mapping), so no size
 * may be given to the kernel then.
 *
 * <p>Per node: the kernel handles open for writing (until their RELEASE has returned, which
 * sends what the file held back), and a change stamp that moves before and after each request
 * here that may change a size (open for writing, create, write, size SETATTR, fallocate,
 * copy_file_range). The applier takes the stamp before it reads the size it injects; the answer
 * to the injected request is refused when the stamp moved or a writer is open, so a program that
 * grows the file meanwhile wins (a missing IN_MODIFY, never a cut file). Stamps are striped by
 * node id (a bounded table): another node's change in the same stripe only refuses more often.
 *
 * <p>Locking: concurrent map and atomic array; no lock held across a call.
 */
final class LocalWriters {
    private static final int STRIPES = 1024;

    /** Kernel handle -> node, for the handles open for writing. */
    private final ConcurrentHashMap<Long, Long> handles = new ConcurrentHashMap<>();
    /** Node -> how many of {@link #handles} are its. */
    private final ConcurrentHashMap<Long, Integer> open = new ConcurrentHashMap<>();
    private final AtomicLongArray stamps = new AtomicLongArray(STRIPES);

    private static int stripe(long node) {
        return (int) ((node ^ (node >>> 32)) * 0x9E3779B9L >>> 22) & (STRIPES - 1);
    }

    /** The node's change stamp now (see the class comment). */
    long stamp(long node) {
        return stamps.get(stripe(node));
    }

    /** A request that may change the node's size starts or ends. */
    void changing(long node) {
        stamps.incrementAndGet(stripe(node));
    }

    /** Whether a program here has the node open for writing. */
    boolean writing(long node) {
        return open.containsKey(node);
    }

    /** Whether a size the applier read for the node at {@code stamp} may still be given to the kernel. */
    boolean unchangedSince(long node, long stamp) {
        return !writing(node) && stamp(node) == stamp;
    }

    /** Kernel handle {@code fh} of {@code node} is open for writing. */
    void opened(long node, long fh) {
        if (handles.putIfAbsent(fh, node) == null) {
            open.merge(node, 1, Integer::sum);
        }
        changing(node);
    }

    /** Kernel handle {@code fh} was released (a handle not open for writing: nothing). */
    void released(long fh) {
        Long node = handles.remove(fh);
        if (node != null) {
            changing(node);
            open.computeIfPresent(node, (n, c) -> c == 1 ? null : c - 1);
        }
    }
}
