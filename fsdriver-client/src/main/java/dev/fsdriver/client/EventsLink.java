package dev.fsdriver.client;

import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.client.cache.ListingSequences;
import dev.fsdriver.client.cache.Prefetcher;
import dev.fsdriver.client.cache.RemoteCaches;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import java.util.function.LongUnaryOperator;
import java.util.function.ToLongBiFunction;

/**
 * What the events layer above a {@link RemoteFileSystem} (events.ChangeEvents) wires into it,
 * apart from the FUSE requests it passes down: while events flow, the caches of
 * {@link RemoteCaches} may be used and {@link #changed()} invalidates them; the kernel's view of
 * nodes and names, for reopening after a server restart and for knowing whose attributes a change
 * touches; references to nodes the kernel holds, lent for lookups answered from kept listings;
 * and the listings this file system makes for itself, as baselines. Set once when the layer is
 * built; only {@link #changed()} is called on every event. The layer reads two things back:
 * this mount's own writes, which a size it injects must not contradict ({@link #writes()}), and
 * the server, for its own checks, through reads only ({@link #reads()}).
 */
public final class EventsLink {
    private final Connection connection;
    private final RemoteCaches caches;
    private final Reopener reopener;
    private final Lookups lookups;
    private final OpenFiles files;
    private final OwnReads reads;
    private final HeldDirTimes dirTimes;

    EventsLink(Connection connection, RemoteCaches caches, Reopener reopener, Lookups lookups, OpenFiles files,
               OwnReads reads, HeldDirTimes dirTimes) {
        this.dirTimes = dirTimes;
        this.connection = connection;
        this.caches = caches;
        this.reopener = reopener;
        this.lookups = lookups;
        this.files = files;
        this.reads = reads;
    }

    /**
     * Whether times set on directory {@code node} are held, not yet sent ({@link HeldDirTimes}):
     * the attributes they give are answered, never kept, by the kernel or the events layer.
     */
    public boolean dirTimesHeld(long node) {
        return dirTimes.holds(node);
    }

    /** What the events layer reads of the server for itself: reads only (see {@link OwnReads}). */
    public OwnReads reads() {
        return reads;
    }

    /**
     * What this mount's own programs are doing to file sizes, which a size the events layer
     * injects must never contradict (see {@link LocalWrites}).
     */
    public LocalWrites writes() {
        return files;
    }

    /**
     * Lets this file system fetch small files ahead of a program reading a directory in order
     * while {@code eventsLive} holds; {@link #changed()} must then be called for every change
     * event (see {@link Prefetcher}).
     */
    public void prefetchWhile(BooleanSupplier eventsLive) {
        caches.enableWhile(eventsLive);
    }

    /**
     * Where the share-relative paths of the nodes the kernel holds come from (the events layer's
     * view of the kernel): after a server restart, nodes are looked up again by them and open
     * files reopened (see {@link Reopener}). Without it, open files do not survive a restart.
     */
    public void pathsFrom(LongFunction<String> pathOf) {
        pathsFrom(pathOf, id -> 0);
    }

    /**
     * {@link #pathsFrom(LongFunction)} with the generation of the kernel's inode per node id (0:
     * unknown): a path that leads to the node's id with another generation is another file.
     */
    public void pathsFrom(LongFunction<String> pathOf, LongUnaryOperator generationOf) {
        reopener.pathsFrom(pathOf, generationOf);
    }

    /**
     * Told of every complete listing this file system makes for itself (a directory listed to
     * answer lookups, or its first page fetched ahead for a walk when that page is all of it),
     * so that the events layer takes it as a baseline of the directory's names.
     */
    public void wholeListingsTo(ListingSequences.Whole listener) {
        lookups.wholeListingsTo(listener);
        caches.prefetcher().wholeListingsTo(listener);
    }

    /**
     * Where the node the kernel holds under a name comes from (0: none known), so that an unlink
     * or rename through the mount forgets the attributes known of that file only (see
     * {@link KnownAttrs}); without it, of every file.
     */
    public void childrenFrom(ToLongBiFunction<Long, String> childOf) {
        caches.childrenFrom(childOf);
    }

    /**
     * Where a lookup answered from a kept listing gets a reference to a node the kernel holds
     * already (a rename's target, looked up again before each rename): the events layer counts it
     * as its own, so that the kernel's FORGET of it never reaches the server, which did not count
     * it. Without it, such a lookup asks the server.
     */
    public void lendsFrom(RemoteCaches.Lender lender) {
        caches.lendsFrom(lender);
    }

    /** Whether the kernel still holds a node (a listing kept is not handed out once it forgot entries of it). */
    public void kernelHoldsFrom(LongPredicate holds) {
        caches.kernelHoldsFrom(holds);
    }

    /**
     * A change event arrived, or the event stream changed state: nothing fetched ahead, kept for
     * a listing again, or known of a file's attributes may be used any more.
     */
    public void changed() {
        caches.changedElsewhere();
    }

    /**
     * {@code forget} drops the caches of the layer above (the events layer's) at every
     * {@link #changed}, after these: one call forgets everything an event may have made stale.
     */
    public void alsoForget(Runnable forget) {
        caches.alsoChangedElsewhere(forget);
    }

    /**
     * {@code stale} is told of each node whose attributes the kernel was answered ahead of the
     * server (a held change or unlink landed since), before the kernel is: what the layer above
     * keeps of the attributes it gave the kernel must go too.
     */
    public void attrsStaleTo(LongConsumer stale) {
        caches.attrs().alsoKernelStale(stale);
    }

    /**
     * {@code changed} is told when another server process answers than the one before (it
     * restarted, or another server took the address), on a transport thread before that answer
     * is used (it must not block); {@code clock} of each later Hello's reading of the server's
     * clock (HelloReply.server_unix_nanos, 0: not given) and whether it lists "dir-times-move",
     * after {@code changed} when the Hello is the new one's. What the events layer knows of the
     * old process's clock and times is not the new one's.
     */
    public void onNewServer(Runnable changed, HelloClock clock) {
        connection.onNewInstance(changed, clock);
    }

    /** What a Hello tells the events layer (see {@link #onNewServer}). */
    @FunctionalInterface
    public interface HelloClock {
        /**
         * {@code serverUnixNanos}: the server's clock (0: not given); {@code directoryTimesMove}:
         * the share's directory times move with every name change (capability "dir-times-move").
         */
        void told(long serverUnixNanos, boolean directoryTimesMove);
    }

    /** Whole-file Open replies fetched ahead and not yet taken (for tests). */
    int prefetchedWaiting() {
        return caches.prefetcher().waiting();
    }

    /** Directory pages fetched ahead and not yet taken (for tests). */
    int listingsWaiting() {
        return caches.prefetcher().listingsWaiting();
    }
}
