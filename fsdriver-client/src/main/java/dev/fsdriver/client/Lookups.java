package dev.fsdriver.client;

import dev.fsdriver.client.cache.ColdLookups;
import dev.fsdriver.client.cache.KeptListings;
import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.client.cache.ListingSequences;
import dev.fsdriver.client.cache.RemoteCaches;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.GetAttrRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.TimeSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LOOKUP, GETATTR and SETATTR: names to nodes and the attributes of nodes, each answered from
 * {@link KnownAttrs} when it may be, else by the server (answered later from the network thread
 * when nothing there must wait), with held-back writes pushed out first so that the server's
 * size is the file's. A node or handle a restarted server no longer knows is found again
 * ({@link Reopener}). While events flow, the lookups in a directory may be answered from one
 * listing of it ({@link ColdLookups}).
 *
 * <p>Threads: what must wait before the server is asked (held-back writes pushed out for a
 * getattr or setattr, a truncate) waits on the request thread. Once asked, each operation answers
 * its reply from the network thread when nothing more must wait; what must (a listing to fetch,
 * held-back writes of the entry's file, a node a restarted server must find again) runs on a
 * virtual thread of its own (see {@link #onVirtualThread}), never on the network thread.
 *
 * <p>No state of its own.
 */
final class Lookups {
    private static final Logger log = LoggerFactory.getLogger(Lookups.class);

    private final Connection connection;
    private final OpenFiles files;
    private final RemoteCaches caches;
    private final KnownAttrs attrs;
    private final Entries entries;
    private final Reopener reopener;
    private final HeldDirTimes dirTimes;
    private final ColdLookups cold;
    private final long attrTimeoutNs;
    private final long negativeTimeoutNs;

    Lookups(Connection connection, OpenFiles files, RemoteCaches caches, Entries entries, Reopener reopener,
            HeldDirTimes dirTimes, long attrTimeoutNs, long negativeTimeoutNs) {
        this.connection = connection;
        this.files = files;
        this.caches = caches;
        this.attrs = caches.attrs();
        this.entries = entries;
        this.reopener = reopener;
        this.dirTimes = dirTimes;
        this.cold = new ColdLookups((page, undo) -> connection.call(f -> f.readDir(page), undo),
                connection.options().readDirPageSize(), caches);
        this.attrTimeoutNs = attrTimeoutNs;
        this.negativeTimeoutNs = negativeTimeoutNs;
    }

    /** See {@link ListingSequences.Whole}. */
    void wholeListingsTo(ListingSequences.Whole listener) {
        cold.wholeListingsTo(listener);
    }

    /** What a virtual thread answers (see {@link #onVirtualThread}). */
    @FunctionalInterface
    interface Waiting<T> {
        T answer() throws FuseException;
    }

    /**
     * Answers {@code reply} with what {@code waiting} gives, on a virtual thread: it may wait, the
     * caller's thread not. Always answered: a bug (RuntimeException) is EIO, as the dispatcher
     * makes it, since a reply left unanswered would hang whoever waits on it (the events applier).
     *
     * @return the thread (for tests)
     */
    static <T> Thread onVirtualThread(FuseFileSystem.Reply<T> reply, Waiting<T> waiting) {
        return Thread.startVirtualThread(() -> {
            try {
                reply.done(waiting.answer());
            } catch (FuseException e) {
                reply.failed(e.errno());
            } catch (RuntimeException e) {
                log.warn("lookup or getattr failed", e);
                reply.failed(Errno.EIO);
            }
        });
    }

    /**
     * LOOKUP answered on the calling thread, which may wait (a listing to fetch, held-back writes);
     * never for a fresh read ({@link Asker#fresh}: {@link #lookup} asks the server for it).
     */
    private FuseEntry lookupWaiting(Asker who, long parent, String name) throws FuseException {
        KeptListings.Answer known = cold.known(who == Asker.KERNEL, parent, name);
        if (known == KeptListings.Answer.ASK && cold.shouldList(parent)) {
            known = cold.listAndAnswer(who == Asker.KERNEL, parent, name);
        }
        if (known != KeptListings.Answer.ASK) {
            return fromListing(known);
        }
        Node node;
        try {
            node = connection.call(f -> f.lookup(LookupRequest.newBuilder().setParent(parent).setName(name).build()));
        } catch (FuseException f) {
            if (f.errno() == Errno.ENOENT && negativeTimeoutNs > 0) {
                return FuseEntry.negative(negativeTimeoutNs);
            }
            throw f;
        }
        cold.seen(node);
        return entries.entry(node);
    }

    /** A lookup answered from a listing (see {@link ColdLookups}): its node, with the reference counted for it, or none. */
    private FuseEntry fromListing(KeptListings.Answer known) throws FuseException {
        if (known.found()) {
            return entries.entry(known.node());
        }
        if (negativeTimeoutNs > 0) {
            return FuseEntry.negative(negativeTimeoutNs);
        }
        throw new FuseException(Errno.ENOENT);
    }

    /**
     * Answered from the network thread; an entry whose file has held-back writes (its size on the
     * server lags) is finished on a thread that may wait for them, never the network thread.
     */
    void lookup(Asker who, long parent, String name, FuseFileSystem.Reply<FuseEntry> reply) throws FuseException {
        KeptListings.Answer known = who.fresh() ? KeptListings.Answer.ASK : cold.known(who == Asker.KERNEL, parent, name);
        if (known != KeptListings.Answer.ASK && (!known.found() || !dirty(known.node()))) {
            reply.done(fromListing(known));
            return;
        }
        if (known != KeptListings.Answer.ASK || !who.fresh() && cold.shouldList(parent)) {
            // a listing to fetch, or held-back writes to push out
            onVirtualThread(reply, () -> known != KeptListings.Answer.ASK ? fromListing(known)
                    : lookupWaiting(who, parent, name));
            return;
        }
        LookupRequest request = LookupRequest.newBuilder().setParent(parent).setName(name).build();
        connection.whenAnswered(connection.start(() -> connection.filesAsync().lookup(request)), node -> {
            cold.seen(node);
            OpenNode open = files.node(node.getId());
            if (open == null || !open.anyDirty()) {
                reply.done(entries.entryNoCount(node));
                return;
            }
            onVirtualThread(reply, () -> entries.entry(node));
        }, errno -> {
            if (errno == Errno.ENOENT && negativeTimeoutNs > 0) {
                reply.done(FuseEntry.negative(negativeTimeoutNs));
            } else {
                reply.failed(errno);
            }
        });
    }

    private boolean dirty(Node node) {
        OpenNode open = files.node(node.getId());
        return open != null && open.anyDirty();
    }

    /** GETATTR answered on the calling thread, which may wait (a node or handle found again, see {@link Reopener}). */
    private FuseAttrReply getattrWaiting(Asker who, long nodeId, long fh) throws FuseException {
        Attr known = known(who, nodeId);
        if (known != null) {
            return new FuseAttrReply(Attrs.toFuse(known), attrTimeoutNs);
        }
        long epoch = attrs.epoch();
        long generation = files.generation(nodeId);
        FileHandle h = fh >= 0 ? files.get(fh) : null;
        try {
            Attr attr = reopener.refinding(nodeId, f -> f.getAttr(GetAttrRequest.newBuilder()
                    .setNode(nodeId).setHandle(files.current(h)).build()));
            entries.answered(nodeId, attr, epoch, generation);
            return new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs);
        } catch (FuseException f) {
            long open = h == null && f.errno() == Errno.ENOENT ? files.openServerHandle(nodeId) : 0;
            if (open == 0) {
                throw f;
            }
            return new FuseAttrReply(Attrs.toFuse(connection.call(g -> g.getAttr(GetAttrRequest.newBuilder()
                    .setNode(nodeId).setHandle(open).build()))), attrTimeoutNs);
        }
    }

    void getattr(Asker who, long nodeId, long fh, FuseFileSystem.Reply<FuseAttrReply> reply) throws FuseException {
        Attr known = known(who, nodeId);
        if (known != null) {
            reply.done(new FuseAttrReply(Attrs.toFuse(known), attrTimeoutNs));
            return;
        }
        long epoch = attrs.epoch();
        long generation = files.generation(nodeId);
        FileHandle h = fh >= 0 ? files.get(fh) : null;
        GetAttrRequest request = GetAttrRequest.newBuilder().setNode(nodeId).setHandle(files.current(h)).build();
        connection.whenAnswered(connection.start(() -> connection.filesAsync().getAttr(request)), attr -> {
            entries.answered(nodeId, attr, epoch, generation);
            reply.done(new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs));
        }, errno -> {
                    if (errno == Errno.ESTALE || errno == Errno.EBADF) {
                        // the server restarted: node looked up again, file reopened (not on this transport thread)
                        onVirtualThread(reply, () -> getattrWaiting(who, nodeId, fh));
                        return;
                    }
                    long open = h == null && errno == Errno.ENOENT ? files.openServerHandle(nodeId) : 0;
                    if (open == 0) {
                        reply.failed(errno);
                        return;
                    }
                    try {
                        connection.whenAnswered(connection.start(() -> connection.filesAsync().getAttr(request.toBuilder().setHandle(open).build())),
                                attr -> reply.done(new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs)), reply::failed);
                    } catch (FuseException e) {
                        reply.failed(e.errno());
                    }
                });
    }

    /**
     * The attributes of {@code nodeId} known without asking the server: with the writes held back
     * for it when they may stay held ({@link AttrsAhead}), else pushed out first (the server's size
     * is then the file's); null: ask. A fresh read ({@link Asker#fresh}) is always the server's,
     * after the held-back writes are pushed out.
     */
    private Attr known(Asker who, long nodeId) throws FuseException {
        if (who.fresh()) {
            files.flushPending(nodeId);
            return null;
        }
        Attr ahead = files.attrsAhead(nodeId, attrs.get(nodeId));
        if (ahead != null) {
            return ahead;
        }
        files.flushPending(nodeId);
        return attrs.get(nodeId);
    }

    /** A truncate (SETATTR with a size), answered on the calling thread: it updates the open file's readers. */
    private FuseAttrReply truncate(long nodeId, FuseSetAttr changes) throws FuseException {
        files.changing(nodeId); // a truncate (see LocalWrites), before and once done
        try {
            return setattrNow(nodeId, changes);
        } finally {
            files.changing(nodeId);
        }
    }

    private FuseAttrReply setattrNow(long nodeId, FuseSetAttr changes) throws FuseException {
        FuseAttrReply held = held(nodeId, changes, 0);
        if (held != null) {
            return held;
        }
        SetAttrRequest plain = setattrRequest(nodeId, changes);
        SetAttrRequest request = dirTimes.mergeInto(nodeId, plain);
        long epoch = attrs.epoch();
        long generation = files.generation(nodeId);
        Attr attr;
        try {
            attr = connection.call(f -> f.setAttr(request), () -> attrs.drop(nodeId));
        } catch (FuseException f) {
            if (request == plain) {
                throw f;
            }
            dirTimes.lostIn(nodeId, f.errno()); // this change's own result is the one to return
            attr = connection.call(c -> c.setAttr(plain), () -> attrs.drop(nodeId));
        } finally {
            caches.changing(nodeId); // nor a listing fetched while it went on
        }
        entries.answered(nodeId, attr, epoch, generation);
        return setattrDone(nodeId, changes, attr);
    }

    /**
     * Answered from the network thread when the size stays (chmod, chown, utimens: three per file
     * of an untar); a truncate, which updates the open file's readers, waits on the request thread.
     */
    void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, FuseFileSystem.Reply<FuseAttrReply> reply)
            throws FuseException {
        FuseAttrReply held = changes.size().isPresent() ? null : held(nodeId, changes, req.pid());
        if (held != null || changes.size().isPresent()) {
            reply.done(held != null ? held : truncate(nodeId, changes));
            return;
        }
        SetAttrRequest plain = setattrRequest(nodeId, changes);
        SetAttrRequest request = dirTimes.mergeInto(nodeId, plain);
        long epoch = attrs.epoch();
        long generation = files.generation(nodeId);
        connection.whenAnswered(connection.start(() -> connection.filesAsync().setAttr(request)), attr -> {
            caches.changing(nodeId); // nor a listing fetched while it went on
            entries.answered(nodeId, attr, epoch, generation);
            reply.done(new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs));
        }, errno -> {
            attrs.drop(nodeId); // it may have changed anyway (and with it what listings said of it)
            if (request == plain) {
                reply.failed(errno);
                return;
            }
            dirTimes.lostIn(nodeId, errno); // this change's own result is the one to return
            onVirtualThread(reply, () -> {
                Attr attr = connection.call(f -> f.setAttr(plain), () -> attrs.drop(nodeId));
                caches.changing(nodeId);
                return new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs);
            });
        });
    }

    /**
     * A change of a file this mount writes, held with its writes (see {@link HeldSetAttrs}) and
     * answered with the attributes it gives; null: send it now. Only while events flow (the
     * attributes it starts from are the server's then) and while the file has one open file
     * here, that writes. (fchmod, fchown and futimens come without the descriptor: the kernel
     * names it for a truncate only.)
     */
    private FuseAttrReply held(long nodeId, FuseSetAttr changes, int pid) throws FuseException {
        Attr dir = dirTimes.hold(nodeId, changes, pid);
        if (dir != null) {
            caches.changing(nodeId); // what listings said of it
            // Not kept by the kernel: each stat of the directory asks (see HeldDirTimes.viewFor).
            return new FuseAttrReply(Attrs.toFuse(dir), 0);
        }
        OpenNode open = caches.eventsLive() ? files.node(nodeId) : null;
        FileHandle h = null;
        if (open != null && open.handles.size() == 1) {
            for (FileHandle only : open.handles) {
                h = only;
            }
        }
        if (h == null || h.writer() == null) {
            return null;
        }
        HeldSetAttrs.Held merged = h.writer().hold((base, had) -> HeldSetAttrs.merge(nodeId, base, had, changes));
        if (merged == null) {
            return null;
        }
        caches.changing(nodeId); // what listings said of it
        return new FuseAttrReply(Attrs.toFuse(merged.view()), attrTimeoutNs);
    }

    /** Held-back writes pushed out first (they land before the change, as they were issued). */
    private SetAttrRequest setattrRequest(long nodeId, FuseSetAttr changes) throws FuseException {
        caches.changing(nodeId);
        OpenNode open = files.node(nodeId);
        if (open != null) {
            open.flushWriters(null);
        }
        FileHandle h = changes.fh() >= 0 ? files.get(changes.fh()) : null;
        SetAttrRequest.Builder b = SetAttrRequest.newBuilder().setNode(nodeId).setHandle(files.current(h));
        changes.size().ifPresent(b::setSize);
        changes.mode().ifPresent(m -> b.setMode(m & FileMode.PERMISSIONS));
        changes.uid().ifPresent(b::setUid);
        changes.gid().ifPresent(b::setGid);
        b.setKillSuidgid(changes.killSuidgid());
        if (changes.atimeNow()) {
            b.setAtime(TimeSpec.newBuilder().setNow(true));
        } else {
            changes.atimeNs().ifPresent(ns -> b.setAtime(TimeSpec.newBuilder().setNs(ns)));
        }
        if (changes.mtimeNow()) {
            b.setMtime(TimeSpec.newBuilder().setNow(true));
        } else {
            changes.mtimeNs().ifPresent(ns -> b.setMtime(TimeSpec.newBuilder().setNs(ns)));
        }
        return b.build();
    }

    private FuseAttrReply setattrDone(long nodeId, FuseSetAttr changes, Attr attr) {
        OpenNode open = files.node(nodeId);
        if (changes.size().isPresent()) {
            caches.lastOpen().remove(nodeId);
            if (open != null) {
                open.generation.incrementAndGet();
                for (FileHandle fh : open.handles) {
                    fh.reader().sizeChanged(attr.getSize());
                }
            }
        }
        return new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs);
    }
}
