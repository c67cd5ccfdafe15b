package dev.fsdriver.client.events;

import dev.fsdriver.client.OwnReads;
import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.client.cache.CacheStats.Cache;
import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.fuse.FuseRequest;

/**
 * The events layer's LOOKUP and GETATTR ({@link EventAwareFileSystem}): answered from what is
 * known of directories ({@link KnownDirs}: a name known absent, a directory's attributes kept
 * while events flow) without the server, otherwise asked of the server through the gate and its
 * answer remembered there and handed to the kernel ({@link KernelEntries}); hits and misses are
 * counted in the mount's {@link CacheStats}.
 *
 * <p>Locking: none of its own; what it keeps is {@link KnownDirs}' (its epoch is read before each
 * call to the server, so that attributes fetched across a change are not kept).
 */
final class KnownAnswers {
    /** The remote file system behind the gate: every call to the server passes the gate. */
    private final InjectionGate gate;
    /** The events layer's own reads of the server (see {@link OwnReads}). */
    private final OwnReads reads;
    private final KnownDirs dirs;
    private final KernelEntries entries;
    private final CachePolicy policy;
    /** The mount's hits and misses (see {@link CacheStats}). */
    private final CacheStats caches;

    KnownAnswers(InjectionGate gate, OwnReads reads, KnownDirs dirs, KernelEntries entries, CachePolicy policy,
                 CacheStats caches) {
        this.gate = gate;
        this.reads = reads;
        this.dirs = dirs;
        this.entries = entries;
        this.policy = policy;
        this.caches = caches;
    }

    /**
     * Whether a miss of {@code req} counts in the cache statistics: the kernel's requests for
     * programs do; the injector's (refused at the gate, or answered for it by {@link #lookupOwn}, {@link #getattrOwn}) do not.
     */
    private boolean counted(FuseRequest req) {
        return !gate.fromInjector(req);
    }

    /** A negative entry if {@code name} is known absent in {@code parent}; null: the server is asked (a miss). */
    private FuseEntry knownAbsent(boolean counted, long parent, String name) {
        if (dirs.knownAbsent(parent, name)) {
            caches.hit(Cache.ENTRY);
            return entries.timed(FuseEntry.negative(policy.timeoutNs()));
        }
        if (counted) {
            caches.miss(Cache.ENTRY);
        }
        return null;
    }

    /** The server's answer to a lookup asked at {@code epoch} ({@code stampToken}), as handed to the kernel. */
    private FuseEntry lookedUp(long parent, String name, FuseEntry e, long epoch, long stampToken) {
        if (e != null) {
            dirs.rememberDir(e.nodeId(), e.attr(), epoch);
        }
        return entries.entered(parent, name, e, stampToken);
    }

    void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        lookup(counted(req), parent, name, reply, r -> gate.lookup(req, parent, name, r));
    }

    /**
     * A lookup the injector's operation causes on its path (a directory whose entry expired), read
     * by the events layer itself: the injector's own request reaches nothing that changes the
     * server ({@link OwnReads}). The kernel takes the entry as from any lookup.
     */
    void lookupOwn(long parent, String name, Reply<FuseEntry> reply) throws FuseException {
        lookup(false, parent, name, reply, r -> reads.lookup(parent, name, false, r));
    }

    private void lookup(boolean counted, long parent, String name, Reply<FuseEntry> reply, Reply.Call<FuseEntry> ask)
            throws FuseException {
        FuseEntry absent = knownAbsent(counted, parent, name);
        if (absent != null) {
            reply.done(absent);
            return;
        }
        long epoch = dirs.epoch();
        long stampToken = entries.stampToken();
        ask.start(Reply.mapped(reply, e -> lookedUp(parent, name, e, epoch, stampToken)));
    }

    /** A directory's attributes kept while events flow; null: the server is asked (a miss). A ghost has none. */
    private FuseAttrReply knownAttr(boolean counted, long nodeId) throws FuseException {
        if (LocalNodes.isGhost(nodeId)) {
            throw new FuseException(Errno.ENOENT);
        }
        if (policy != null && policy.cacheable()) {
            FuseAttr cached = dirs.dirAttr(nodeId);
            if (cached != null) {
                caches.hit(Cache.ATTRIBUTE);
                return new FuseAttrReply(cached, policy.timeoutNs());
            }
        }
        if (counted) {
            caches.miss(Cache.ATTRIBUTE);
        }
        return null;
    }

    /** The server's attributes, asked for at {@code epoch}, as handed to the kernel. */
    private FuseAttrReply fetched(long nodeId, FuseAttrReply r, long epoch) {
        if (r != null && !entries.unkept(nodeId)) { // held directory times: answered, not kept
            dirs.rememberDir(nodeId, r.attr(), epoch);
        }
        return entries.timed(nodeId, r);
    }

    void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) throws FuseException {
        FuseAttrReply known = knownAttr(counted(req), nodeId);
        if (known != null) {
            reply.done(known);
            return;
        }
        long epoch = dirs.epoch();
        gate.getattr(req, nodeId, fh, Reply.mapped(reply, r -> fetched(nodeId, r, epoch)));
    }

    /**
     * {@link #getattr} for a request the injector's operation causes of another node than the
     * one it announces (its parent, say): answered as the kernel's would be, but read as the events
     * layer's own ({@link OwnReads}): the injector's request itself reaches nothing.
     */
    void getattrOwn(long nodeId, Reply<FuseAttrReply> reply) throws FuseException {
        FuseAttrReply known = knownAttr(false, nodeId);
        if (known != null) {
            reply.done(known);
            return;
        }
        long epoch = dirs.epoch();
        reads.getattr(nodeId, false, Reply.mapped(reply, r -> fetched(nodeId, r, epoch)));
    }
}
