package dev.fsdriver.client;

import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.client.cache.KeptListings;
import dev.fsdriver.client.cache.ListingSequences;
import dev.fsdriver.client.cache.Prefetcher;
import dev.fsdriver.client.cache.RemoteCaches;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.DirPlusFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Directory listings: OPENDIR, READDIR(PLUS) and RELEASEDIR. The kernel's many small requests
 * of one listing are served from one server page of up to readDirPageSize entries
 * ({@link DirHandle}); a plus page gives each entry's node to the kernel once (the server counted
 * one reference per entry), the name only after that or while the file is written here. A first
 * page may come fetched ahead ({@link Prefetcher}) or kept from a listing just closed
 * ({@link RemoteCaches#keepListing}).
 *
 * <p>Locking: each open directory locks itself while a request reads or fetches its page.
 */
final class DirListings {
    private final Connection connection;
    private final ClientOptions options;
    private final OpenFiles files;
    private final RemoteCaches caches;
    private final Entries entries;
    private final NodeTable nodes;
    private final ConcurrentHashMap<Long, DirHandle> dirs = new ConcurrentHashMap<>();

    DirListings(Connection connection, OpenFiles files, RemoteCaches caches, Entries entries, NodeTable nodes) {
        this.connection = connection;
        this.options = connection.options();
        this.files = files;
        this.caches = caches;
        this.entries = entries;
        this.nodes = nodes;
    }

    FuseOpen opendir(FuseRequest req, long nodeId, int flags) {
        long fh = files.nextHandle();
        dirs.put(fh, new DirHandle(nodeId));
        return FuseOpen.of(fh);
    }

    /** See {@link ListingSequences}. */
    long eventSequence(long fh) {
        DirHandle dir = dirs.get(fh);
        return dir == null ? 0 : dir.eventSequence;
    }

    void releasedir(FuseRequest req, long nodeId, long fh) {
        DirHandle dir = dirs.remove(fh);
        if (dir == null) {
            return;
        }
        synchronized (dir) {
            if (dir.pagePlus) {
                caches.keepListing(nodeId, new KeptListings.Kept(dir.page, dir.given, dir.fetchEpoch, dir.keepUntilNanos,
                        dir.eventSequence), dir.pageCursor == 0 && dir.pageEof);
            }
            dir.page = List.of(); // its references are the kept listing's now, or given back
            dir.given = new BitSet();
        }
    }

    void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
        list(nodeId, fh, offset, false, (name, entry, ino, mode, next) -> filler.add(name, ino, mode, next));
    }

    void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
            throws FuseException {
        list(nodeId, fh, offset, true, (name, entry, ino, mode, next) -> {
            return filler.add(name, entry, next);
        });
    }

    private interface Sink {
        boolean add(String name, FuseEntry entry, long ino, int mode, long nextOffset);
    }

    /**
     * Kernel offsets: 1 after ".", 2 after "..", and server cursor + 2 after an entry (server
     * cursors are never 0, so they never collide with the first two).
     */
    private void list(long nodeId, long fh, long offset, boolean plus, Sink sink) throws FuseException {
        DirHandle dir = dirs.get(fh);
        if (dir == null) {
            dir = new DirHandle(nodeId);
        }
        if (offset < 1 && !sink.add(".", dotEntry(nodeId), nodeId, FileMode.S_IFDIR, 1)) {
            return;
        }
        if (offset < 2 && !sink.add("..", dotEntry(1), 1, FileMode.S_IFDIR, 2)) {
            return;
        }
        long cursor = offset < 2 ? 0 : offset - 2;
        synchronized (dir) {
            while (true) {
                int start = positionLocked(dir, cursor, plus);
                if (start < 0) {
                    fetchLocked(dir, cursor, plus);
                    start = 0;
                }
                List<DirEntry> page = dir.page;
                for (int i = start; i < page.size(); i++) {
                    DirEntry e = page.get(i);
                    // the server counted one reference per entry: the kernel gets it once, then names
                    boolean counted = plus && e.hasNode() && !dir.given.get(i);
                    // a file open for writing here: the server's size may lag behind held-back
                    // writes (a lookup pushes them out first), so the kernel gets the name only
                    boolean withheld = counted && files.writing(e.getNode().getId());
                    boolean full = counted && !withheld;
                    FuseEntry entry = full ? entries.entryNoCount(e.getNode()) : nameOnly(e);
                    int mode = e.getType() != 0 ? e.getType() : (entry.attr() == null ? 0 : entry.attr().mode());
                    if (!sink.add(e.getName(), entry, e.getIno(), mode, e.getCursor() + 2)) {
                        return;
                    }
                    if (withheld) {
                        nodes.forget(e.getNode().getId(), 1); // the server counted it for the kernel
                    }
                    if (counted) {
                        dir.given.set(i);
                    }
                    cursor = e.getCursor();
                }
                if (dir.pageEof || page.isEmpty()) {
                    return;
                }
            }
        }
    }

    /** Where in the cached page the entries after {@code cursor} start, or -1 when not cached. */
    private static int positionLocked(DirHandle dir, long cursor, boolean plus) {
        if (dir.pageCursor < 0 || (plus && !dir.pagePlus)) {
            return -1;
        }
        if (cursor == dir.pageCursor) {
            return 0;
        }
        List<DirEntry> page = dir.page;
        for (int i = 0; i < page.size(); i++) {
            if (page.get(i).getCursor() == cursor) {
                return i + 1 < page.size() || dir.pageEof ? i + 1 : -1;
            }
        }
        return -1;
    }

    private void fetchLocked(DirHandle dir, long cursor, boolean plus) throws FuseException {
        long epoch = caches.relistEpoch(); // before the fetch: a change meanwhile makes it older
        if (cursor == 0 && plus) {
            KeptListings.Kept r = caches.takeListing(dir.nodeId);
            BitSet given = r == null ? null : r.take();
            if (given != null) {
                spentLocked(dir);
                dir.page = r.page();
                dir.given = given;
                dir.pageCursor = 0;
                dir.pageEof = true;
                dir.pagePlus = true;
                dir.fetchEpoch = r.epoch(); // what it says is as of then
                dir.keepUntilNanos = r.expiresAtNanos(); // kept no longer than the listing it came from
                dir.eventSequence = r.eventSequence();
                connection.counters().caches().hit(CacheStats.Cache.DIRECTORY);
                // the walk's read-ahead needs the listing order too (git status lists what its
                // lookups listed: grep -r after it made one Open per file)
                caches.prefetcher().listed(dir.nodeId, 0, r.page());
                return;
            }
        }
        // A first page fetched ahead (a plus page: its entries' references go to the kernel)
        ReadDirReply reply = cursor == 0 && plus ? caches.prefetcher().takeListing(dir.nodeId) : null;
        if (cursor == 0) {
            connection.counters().caches().add(CacheStats.Cache.DIRECTORY, reply != null);
        }
        if (reply == null) {
            reply = connection.call(f -> f.readDir(ReadDirRequest.newBuilder().setNode(dir.nodeId).setCursor(cursor)
                    .setMaxEntries(options.readDirPageSize()).setPlus(plus).build()));
        }
        spentLocked(dir);
        dir.page = reply.getEntriesList();
        dir.eventSequence = reply.getEventSequence();
        dir.given = new BitSet();
        dir.fetchEpoch = epoch;
        dir.keepUntilNanos = System.nanoTime() + RemoteCaches.RELIST_NANOS;
        if (plus) {
            caches.prefetcher().listed(dir.nodeId, cursor, dir.page);
        }
        dir.pageCursor = cursor;
        dir.pageEof = reply.getEof();
        dir.pagePlus = plus;
    }

    /** The page about to be replaced: the references of its entries the kernel never took go back. */
    private void spentLocked(DirHandle dir) {
        if (dir.pagePlus) {
            for (int i = 0; i < dir.page.size(); i++) {
                if (!dir.given.get(i) && dir.page.get(i).hasNode()) {
                    nodes.forget(dir.page.get(i).getNode().getId(), 1);
                }
            }
        }
        dir.page = List.of();
        dir.given = new BitSet();
    }

    private FuseEntry dotEntry(long ino) {
        return new FuseEntry(0, 0, new FuseAttr(ino, 0, 0, 0, 0, 0, FileMode.S_IFDIR | 0755, 2, 0, 0, 0, 4096), 0, 0);
    }

    private static FuseEntry nameOnly(DirEntry e) {
        return new FuseEntry(0, 0, new FuseAttr(e.getIno(), 0, 0, 0, 0, 0, e.getType(), 1, 0, 0, 0, 4096), 0, 0);
    }
}
