package dev.fsdriver.client.cache;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lookups answered from a listing of their directory, while events flow (issue 13, "cold means
 * one per directory"): git status lstat()s every indexed path before it reads any directory, one
 * LOOKUP per file. A lookup that misses in a directory with no complete listing kept lists the
 * whole directory with attributes instead (ReadDir plus, all pages), keeps it in
 * {@link KeptListings} (where a listing of the directory started later finds it too), and it and
 * the next lookups there are answered from it: a name listed with its node takes the reference
 * the server counted for it in the listing, a name not listed is absent without the server (a
 * name listed in another case, or whose reference the kernel took already, is asked the server).
 * Any change elsewhere or of the event stream drops every kept listing, giving back the
 * references not taken; a change of a directory's names through the mount updates its listing
 * when it succeeds with nothing else in between, else drops it, and no listing answers for a node
 * changed through the mount with what it listed ({@link RemoteCaches}' one invalidation): such a
 * name is answered with the attributes {@link KnownAttrs} has for it, or asked the server. A name
 * whose node the kernel holds already (a rename's target, looked up again before each rename) is
 * answered with a reference the events layer lends (see {@link RemoteCaches#lendsFrom}).
 *
 * <p>When a directory is listed for a lookup, so that a huge one is not read for one name: at
 * the first miss when its size attribute says it is small (at most {@link #SMALL_DIR_BYTES}: a
 * few thousand names on ext4 or tmpfs); when its size is not known or 0 (NTFS reports 0), at the
 * second miss within {@link #MISS_GAP_NANOS} of the one before; when it is larger, after one miss
 * per 4 KiB of it (about a hundred names on ext4: the listing costs no more than the lookups it
 * spares). Once listed here, its number of entries then decides instead (one miss per 10 entries:
 * a directory filled by a storm of creates is not listed again at every event's lookup). A listing
 * found longer than {@link #MAX_LISTED} entries is given back. A kept listing whose entries went to
 * the kernel, which forgot them since (memory pressure: a git status after it asked the server
 * every name), is listed again after one kernel lookup of such a name per page it has.
 *
 * <p>Locking: none; concurrent maps; one listing per directory at a time, the other lookups of
 * the directory wait for it.
 */
public final class ColdLookups {
    static final long SMALL_DIR_BYTES = 64 * 1024;
    private static final long MISS_GAP_NANOS = 1_000_000_000L;
    static final int MAX_LISTED = 5_000;
    /** How long a listing made for lookups is used (any change drops it before). */
    static final long KEEP_NANOS = 60_000_000_000L;
    private static final int MAX_DIRS = 1 << 14;

    private final PageReader reader;
    private final int pageSize;
    private final RemoteCaches caches;
    /** Sizes of directories as the server named them (entries and listings). */
    private final ConcurrentHashMap<Long, Long> dirSizes = new ConcurrentHashMap<>();
    /** How many entries each directory had when last listed here (its size attribute may be older). */
    private final ConcurrentHashMap<Long, Integer> listedCounts = new ConcurrentHashMap<>();
    /** Misses per directory not listed: count and time of the last. */
    private final ConcurrentHashMap<Long, long[]> misses = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, CompletableFuture<Void>> listing = new ConcurrentHashMap<>();
    /**
     * Kept listings that could not answer the kernel names they list, and how many: the entries'
     * references went to the kernel, which has forgotten those nodes since (memory pressure,
     * drop_caches), so each name would be asked the server alone.
     */
    private final ConcurrentHashMap<Long, Spent> spent = new ConcurrentHashMap<>();

    /** {@code listing}: which kept listing, by its expiry (never the object: its entries would stay reachable here). */
    private record Spent(long listing, int misses) {}

    /** Told of every listing kept here (the events layer's baselines, see ListingSequences.Whole). */
    private volatile ListingSequences.Whole wholeListings = (dir, names, sequence) -> { };

    /** Reads one page of a directory as every call of the mount goes (its deadline, its errno). */
    @FunctionalInterface
    public interface PageReader {
        /** The reply to {@code request}; {@code undo} runs first when the call fails. */
        ReadDirReply read(ReadDirRequest request, Runnable undo) throws FuseException;
    }

    /** {@code pageSize}: entries asked per page (as the file system's own ReadDir). */
    public ColdLookups(PageReader reader, int pageSize, RemoteCaches caches) {
        this.reader = reader;
        this.pageSize = pageSize;
        this.caches = caches;
    }

    public void wholeListingsTo(ListingSequences.Whole listener) {
        this.wholeListings = listener;
    }

    /**
     * {@code name} in {@code parent} from a listing kept (never asks the server), or ASK;
     * {@code forKernel}: the lookup is the kernel's (see {@link RemoteCaches#nodeAnswers}).
     */
    public KeptListings.Answer known(boolean forKernel, long parent, String name) {
        if (!caches.eventsLive()) {
            return KeptListings.Answer.ASK;
        }
        KeptListings.Kept k = caches.lookupListing(parent);
        if (k == null) {
            return KeptListings.Answer.ASK;
        }
        KeptListings.Answer a = k.lookup(name, caches.currentSince(k.epoch), caches.nodeAnswers(forKernel));
        if (a == KeptListings.Answer.ASK && forKernel && k.given(name)) {
            if (spent.size() >= MAX_DIRS) {
                spent.clear();
            }
            long id = k.expiresAtNanos();
            spent.compute(parent, (p, had) -> new Spent(id, had != null && had.listing() == id ? had.misses() + 1 : 1));
        }
        return a;
    }

    /** The server named {@code node}: a directory's size is kept for the rule above. */
    public void seen(Node node) {
        if (FileMode.isDirectory(node.getAttr().getMode())) {
            if (dirSizes.size() >= MAX_DIRS) {
                dirSizes.clear();
            }
            dirSizes.put(node.getId(), node.getAttr().getSize());
        }
    }

    /**
     * A lookup in {@code parent} found no answer in a listing kept: whether to list it now (counts
     * the miss where none is kept; a kept one only when spent, see {@link #spent}).
     */
    public boolean shouldList(long parent) {
        if (!caches.eventsLive()) {
            return false;
        }
        KeptListings.Kept kept = caches.lookupListing(parent);
        if (kept != null) {
            Spent s = spent.get(parent);
            // as many misses as the listing has pages: a relisting costs no more than the lookups it spares
            return s != null && s.listing() == kept.expiresAtNanos() && s.misses() >= 1 + kept.page().size() / pageSize;
        }
        Integer count = listedCounts.get(parent);
        Long size = dirSizes.get(parent);
        long needed;
        if (count != null) {
            needed = Math.max(1, count / 10); // listed before: its number of entries decides
        } else if (size != null && size > 0 && size <= SMALL_DIR_BYTES) {
            return true;
        } else {
            needed = size == null || size <= 0 ? 2 : 1 + size / 4096;
        }
        long now = System.nanoTime();
        if (misses.size() >= MAX_DIRS) {
            misses.clear();
        }
        long[] m = misses.compute(parent, (p, had) -> {
            boolean recent = had != null && now - had[1] < MISS_GAP_NANOS;
            return new long[] {recent ? had[0] + 1 : 1, now};
        });
        return m[0] >= needed;
    }

    /**
     * Lists {@code parent} (or waits for the listing another lookup started) and answers
     * {@code name} from it; ASK when it could not be listed or kept. Blocks: not on the network thread.
     */
    public KeptListings.Answer listAndAnswer(boolean forKernel, long parent, String name) throws FuseException {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> other = listing.putIfAbsent(parent, mine);
        if (other != null) {
            other.join();
            return known(forKernel, parent, name);
        }
        try {
            spent.remove(parent); // the listing made now replaces the one spent
            KeptListings.Kept k = list(parent);
            if (k == null) {
                return KeptListings.Answer.ASK;
            }
            // answered from it even if a change drops it now (not a node changed during the fetch)
            KeptListings.Answer a = k.lookup(name, caches.currentSince(k.epoch), caches.nodeAnswers(forKernel));
            caches.keepLookupListing(parent, k);
            return a;
        } finally {
            listing.remove(parent, mine);
            mine.complete(null);
        }
    }

    /** Every page of {@code parent} with attributes; null (references given back) when too large. */
    private KeptListings.Kept list(long parent) throws FuseException {
        long epoch = caches.relistEpoch(); // before the fetch: a change meanwhile makes it older
        List<DirEntry> all = new ArrayList<>();
        // not a page the Prefetcher fetched ahead: waiting for it could block the thread that
        // completes it (the applier's lookups come from the event stream's thread)
        ReadDirReply reply = null;
        long cursor = 0;
        long sequence = -1;
        while (true) {
            if (reply == null) {
                ReadDirRequest page = ReadDirRequest.newBuilder().setNode(parent).setCursor(cursor)
                        .setMaxEntries(pageSize).setPlus(true).build();
                reply = reader.read(page,
                        () -> new KeptListings.Kept(all, new BitSet(), epoch, 0, 0).giveBack(caches::forget));
            }
            if (sequence < 0) {
                sequence = reply.getEventSequence(); // the first page's: the earliest
            }
            all.addAll(reply.getEntriesList());
            if (reply.getEof() || reply.getEntriesCount() == 0 || all.size() > MAX_LISTED) {
                break;
            }
            cursor = reply.getEntries(reply.getEntriesCount() - 1).getCursor();
            reply = null;
        }
        KeptListings.Kept k = new KeptListings.Kept(List.copyOf(all), new BitSet(), epoch, System.nanoTime() + KEEP_NANOS,
                Math.max(0, sequence));
        if (all.size() > MAX_LISTED) {
            k.giveBack(caches::forget);
            listedCounts.put(parent, all.size());
            misses.remove(parent);
            return null;
        }
        misses.remove(parent);
        if (listedCounts.size() >= MAX_DIRS) {
            listedCounts.clear();
        }
        listedCounts.put(parent, all.size());
        Map<String, Long> names = new HashMap<>(all.size() * 2);
        for (DirEntry e : all) {
            if (e.hasNode()) {
                seen(e.getNode());
            }
            names.put(e.getName(), e.getIno());
        }
        wholeListings.listed(parent, names, k.eventSequence);
        return k;
    }
}
