package dev.fsdriver.client.events;

import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * The directories whose listing the kernel may be keeping (read without OPENDIR to its end while
 * events flowed, see {@link KernelListings#mayKeep}, or opened with FOPEN_CACHE_DIR), until
 * {@link ListingDrops} drops them or the kernel forgets the directory. A
 * directory may be here whose listing the kernel dropped already (it versions the changes made
 * through the mount): dropping it again costs one notification.
 *
 * <p>Locking: none; a concurrent set.
 */
final class KernelKeptListings {
    private final Set<Long> kept = ConcurrentHashMap.newKeySet();

    /** The kernel may keep the listing of {@code dir} it just read. */
    void kept(long dir) {
        kept.add(dir);
    }

    /** The kernel forgot {@code dir}: nothing of it is kept any more. */
    void forgotten(long dir) {
        kept.remove(dir);
    }

    boolean isEmpty() {
        return kept.isEmpty();
    }

    /** Hands each directory to {@code drop} and forgets it. */
    void drain(LongConsumer drop) {
        for (Iterator<Long> it = kept.iterator(); it.hasNext(); ) {
            long dir = it.next();
            it.remove();
            drop.accept(dir);
        }
    }
}
