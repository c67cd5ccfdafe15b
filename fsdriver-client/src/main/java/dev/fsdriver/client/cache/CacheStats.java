package dev.fsdriver.client.cache;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Hits and misses of the mount's own caches: of the requests of a cache's kind that the kernel
 * sent (its own caches had no answer), those answered from that cache without the server (hits)
 * and those that went to the server (misses). The kernel's caches
 * (entries, attributes, pages) are not seen here: what they answer never reaches the mount.
 * Plain LongAdders: one increment on the request path, no metrics library (the CLI binds them).
 */
public final class CacheStats {
    /** The caches, with what counts for each. */
    public enum Cache {
        /** GETATTR: directory attributes kept while events flow (KnownDirs' dirAttrs). */
        ATTRIBUTE,
        /** LOOKUP: names known absent in directories this mount made (KnownDirs' known). */
        ENTRY,
        /** The first page of a listing: kept from a recent listing, fetched ahead, or made from known names. */
        DIRECTORY,
        /** A read-only OPEN: the whole small file fetched ahead (Prefetcher). */
        CONTENT,
        /** STATFS: the share's figures kept one second. */
        STATFS;

        /** The metric label and status word: "attribute", "entry", ... */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final LongAdder[] hits = new LongAdder[Cache.values().length];
    private final LongAdder[] misses = new LongAdder[Cache.values().length];

    public CacheStats() {
        for (int i = 0; i < hits.length; i++) {
            hits[i] = new LongAdder();
            misses[i] = new LongAdder();
        }
    }

    public void hit(Cache c) {
        hits[c.ordinal()].increment();
    }

    public void miss(Cache c) {
        misses[c.ordinal()].increment();
    }

    /** A hit if {@code hit}, else a miss. */
    public void add(Cache c, boolean hit) {
        (hit ? hits : misses)[c.ordinal()].increment();
    }

    public long hits(Cache c) {
        return hits[c.ordinal()].sum();
    }

    public long misses(Cache c) {
        return misses[c.ordinal()].sum();
    }
}
