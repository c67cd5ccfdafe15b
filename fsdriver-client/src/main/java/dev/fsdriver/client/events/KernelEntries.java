package dev.fsdriver.client.events;

import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import java.util.function.LongPredicate;

/**
 * What the events layer hands the kernel: each entry goes into the {@link KernelView} (with the
 * generation the kernel's inode has), entries and attributes carry the {@link CachePolicy}'s
 * timeouts (long while events flow, short while they do not), and references the layer hands out
 * itself, and ghosts, are counted in {@link LocalNodes} so that their FORGETs never reach the
 * server.
 *
 * <p>Locking: none of its own; the view and the local nodes have theirs.
 */
final class KernelEntries {
    private final KernelView view;
    /** Null: the delegate's timeouts stand (tests). */
    private final CachePolicy policy;
    /** Ghosts, and references to real nodes handed to the kernel locally (see {@link LocalNodes}). */
    private final LocalNodes local = new LocalNodes();

    /** Directories whose attributes are answered and never kept (see {@link #timed(long, FuseAttrReply)}). */
    private volatile LongPredicate unkept = node -> false;

    KernelEntries(KernelView view, CachePolicy policy) {
        this.view = view;
        this.policy = policy;
    }

    /** {@code unkept}: the remote side's directories with times held (HeldDirTimes). */
    void unkeptFrom(LongPredicate unkept) {
        this.unkept = unkept;
    }

    /** Whether {@code node}'s attributes as answered now are not to be kept (by the kernel or here). */
    boolean unkept(long node) {
        return unkept.test(node);
    }

    FuseEntry timed(FuseEntry e) {
        if (e == null || policy == null) {
            return e;
        }
        long t = policy.timeoutNs();
        return new FuseEntry(e.nodeId(), e.generation(), e.attr(), t, t);
    }

    /** {@code a}, {@code node}'s attributes, with the policy's timeout; none for a directory whose times are held. */
    FuseAttrReply timed(long node, FuseAttrReply a) {
        if (a == null || policy == null) {
            return a;
        }
        return new FuseAttrReply(a.attr(), unkept.test(node) ? 0 : policy.timeoutNs());
    }

    /**
     * {@code e}, handed to the kernel as {@code parent}'s {@code name}: in the view, with the
     * policy's timeouts. {@code stampToken}: {@link KernelView#stampToken()} read before the call.
     */
    FuseEntry entered(long parent, String name, FuseEntry e, long stampToken) {
        if (e != null && e.nodeId() != 0) {
            e = asTheKernelHolds(e);
            view.entered(parent, name, e.nodeId(), e.attr(), e.generation(), stampToken);
        }
        return timed(e);
    }

    /** See {@link KernelView#stampToken()}: read before a call whose entry {@link #entered} is given. */
    long stampToken() {
        return view.stampToken();
    }

    /**
     * {@link #entered(long, String, FuseEntry, long)} of an entry the injector's request is
     * answered with: on the applier's thread's watch (it waits for the injection), so no event
     * was applied since the entry was read.
     */
    FuseEntry injected(long parent, String name, FuseEntry e) {
        return entered(parent, name, e, view.stampToken());
    }

    /** A listing's entry with a node, as the kernel is to hold it (the caller enters it once the kernel took it). */
    FuseEntry listed(FuseEntry e) {
        return timed(asTheKernelHolds(e));
    }

    /** {@code e} with the generation the kernel's inode of the node has where one side does not know it (see KernelView). */
    private FuseEntry asTheKernelHolds(FuseEntry e) {
        long g = view.generationFor(e.nodeId(), e.generation());
        return g == e.generation() ? e : new FuseEntry(e.nodeId(), g, e.attr(), e.entryTimeoutNs(), e.attrTimeoutNs());
    }

    /** An entry answered by the events layer, not the delegate: the kernel's reference is counted here. */
    FuseEntry localEntry(long parent, String name, FuseEntry e) {
        if (!LocalNodes.isGhost(e.nodeId())) {
            local.handedOut(e.nodeId());
            // read now: answered on the applier's thread during an injection, no event applied since its read
            view.entered(parent, name, e.nodeId(), e.attr(), e.generation(), view.stampToken());
        }
        return new FuseEntry(e.nodeId(), e.generation(), e.attr(), 0, 0);
    }

    /**
     * A reference to {@code node}, which the kernel holds ({@code generation}, 0: any), for an
     * entry the file system below answers without the server (see EventsLink#lendsFrom):
     * counted here, so that its FORGET never reaches the server; false when the kernel does not
     * hold it. Counted before the check: a FORGET of the kernel's last references that comes in
     * between takes this one first, so the server keeps the one the kernel gets (and one that
     * comes before the check leaves the server a reference more, which only keeps the node longer).
     */
    boolean lend(long node, long generation) {
        if (LocalNodes.isGhost(node)) {
            return false;
        }
        local.handedOut(node);
        long held = view.generation(node);
        if (view.held(node) && (generation == 0 || held == 0 || held == generation)) {
            return true;
        }
        local.takenBack(node);
        return false;
    }

    /** A stand-in node for a name the kernel does not hold, so that unlink/rename can act on it. */
    FuseEntry ghost(int type) {
        return local.ghost(type);
    }

    /** The kernel forgot {@code nlookup} references to {@code node}: those handed out here are taken; returns the server's. */
    long forgotten(long node, long nlookup) {
        return local.forgotten(node, nlookup);
    }
}
