package dev.fsdriver.client.cache;

import com.google.common.util.concurrent.ListenableFuture;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.HandleRequest;
import dev.fsdriver.proto.v1.OpenManyReply;
import dev.fsdriver.proto.v1.OpenManyRequest;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Read-ahead across files and directories, for programs that walk a tree:
 * <ul>
 * <li>Files ({@link FileReadAhead}): a program that reads the small files of a directory one
 *     after the other in listing order (grep -r, tar c, cp -r, rsync) gets the next ones fetched
 *     while it reads the current one, as read-only opens whose replies carry the whole file and
 *     keep nothing open on the server (OpenRequest.inline_max). The program's own OPEN then takes
 *     the waiting reply instead of making the round trip. With a server that has "open-many" they
 *     go in OpenMany calls of up to {@link #MANY_FILES} files and {@link #MANY_BYTES} bytes,
 *     the next one when less than half of that is still ahead; else one Open each,
 *     {@code depth} files ahead.
 * <li>Directories ({@link DirReadAhead}): once a program lists a directory it found in a listing
 *     (it is descending a tree: find, git status, du, ls -R), the first pages of that directory's
 *     subdirectories are fetched in parallel ({@link #MAX_DIRS_IN_FLIGHT} at a time) and its own
 *     listing of each takes the waiting page. A page fetched and never used is given back: its
 *     entries' node references are forgotten ({@code unused}).
 * </ul>
 *
 * <p>Coherence: only while change events flow ({@code enabled}); every event and every change
 * made through this mount drops all fetched replies ({@link #dropAll}), and a reply not taken
 * within {@code ttlNanos} is not used. So a fetched file is never older than the kernel's own
 * caches would be.
 *
 * <p>Thread-safe: its own state is the volatile switch; the rest is the two halves' (see each
 * for its locking).
 */
public final class Prefetcher {
    static final int MAX_POSITIONS = 200_000;
    static final int MAX_DIRS_IN_FLIGHT = 8;
    static final int MAX_DIR_PAGES = 256;
    /**
     * Directory pages fetched ahead and not taken yet (in flight included), at most; the next go
     * out as the walk takes these: a longer run ahead of a slow walk expires before it is taken.
     */
    static final int MAX_DIRS_AHEAD = 16;
    /** Most files and bytes (by the listing's sizes) one OpenMany asks for: the server's limits. */
    static final int MANY_FILES = 64;
    static final int MANY_BYTES = 1 << 20;

    private final int inlineMax;
    private final int depth;
    private volatile BooleanSupplier enabled = () -> false;
    private final FileReadAhead files;
    private final DirReadAhead dirs;

    /**
     * @param files    the connection's Files stub, each call bounded by its deadline (asked at
     *                 every call)
     * @param pageSize entries asked per directory page (as the file system's own ReadDir)
     * @param unused   gives back one server reference of a node that was fetched ahead in a
     *                 directory page and never handed to the kernel
     */
    public Prefetcher(Supplier<FilesGrpc.FilesFutureStub> files, boolean openMany, int inlineMax, int depth, int pageSize,
               long ttlNanos, LongSupplier nanoClock, LongConsumer unused) {
        this(handle -> files.get().release(HandleRequest.newBuilder().setHandle(handle).build()),
                r -> files.get().open(r), openMany ? r -> files.get().openMany(r) : null,
                r -> files.get().readDir(r), inlineMax, depth, pageSize, ttlNanos, nanoClock, unused);
    }

    /**
     * @param release    gives back the server handle of a fetched reply that came with one
     * @param opener     sends a read-ahead Open, {@code manyOpener} an OpenMany (null: the server
     *                   has none), {@code lister} a read-ahead ReadDir (the connection's, or a test's)
     */
    Prefetcher(LongConsumer release, Function<OpenRequest, ListenableFuture<OpenReply>> opener,
               Function<OpenManyRequest, ListenableFuture<OpenManyReply>> manyOpener,
               Function<ReadDirRequest, ListenableFuture<ReadDirReply>> lister,
               int inlineMax, int depth, int pageSize, long ttlNanos, LongSupplier nanoClock, LongConsumer unused) {
        this.inlineMax = inlineMax;
        this.depth = depth;
        this.files = new FileReadAhead(opener, manyOpener, release, inlineMax, depth, ttlNanos, nanoClock, this::on);
        this.dirs = new DirReadAhead(lister, pageSize, unused, ttlNanos, nanoClock, this::on);
    }

    /**
     * Told of each directory page fetched ahead that is the whole directory: the events layer's
     * baseline of its names (else it lists a directory the kernel has held for a second and no
     * program has listed yet: on a slow walk, grep -r, most of the directories ahead).
     */
    public void wholeListingsTo(ListingSequences.Whole listener) {
        dirs.wholeListingsTo(listener);
    }

    /** Directories for which {@code kept} holds are not fetched ahead: their listing takes what is kept. */
    void skipKept(LongPredicate kept) {
        dirs.skipKept(kept);
    }

    /** Prefetch only while {@code condition} holds (change events flowing). */
    void enableWhile(BooleanSupplier condition) {
        this.enabled = condition;
    }

    private boolean on() {
        return depth > 0 && inlineMax > 0 && enabled.getAsBoolean();
    }

    /** A READDIRPLUS page of {@code dir} fetched from {@code cursor} (0: a new listing). */
    public void listed(long dir, long cursor, List<DirEntry> page) {
        if (!on()) {
            return;
        }
        dirs.listed(dir, cursor, page);
        files.listed(dir, cursor, page);
    }

    /** The fetched Open reply of {@code node}, if one is waiting and fresh; it is taken. */
    public ListenableFuture<OpenReply> take(long node) {
        return files.take(node);
    }

    /**
     * Nothing fetched for {@code node}, which a program opens for its content: its open in one
     * OpenMany with the files after it in its listing, when it is the next in order; else null.
     */
    public ListenableFuture<OpenReply> openWithNext(long node) {
        return files.openWithNext(node);
    }

    /**
     * A program reads {@code node}, opened earlier without the server, whose pages the kernel
     * lost: its content in one OpenMany with the files after it in its listing; else null.
     */
    public ListenableFuture<OpenReply> readWithNext(long node) {
        return files.readWithNext(node);
    }

    /** A program opened {@code node} read-only: if it goes through a listing in order, fetch ahead. */
    public void opened(long node) {
        files.opened(node);
    }

    /** The first page of {@code dir} fetched ahead, if one is waiting and fresh; it is taken. */
    public ReadDirReply takeListing(long dir) {
        return dirs.takeListing(dir);
    }

    /**
     * Forgets every fetched reply (something changed: see the class comment). Two steps, one per
     * half: a directory fetch starting between them is dropped too (a ReadDir wasted, never a
     * stale page kept).
     */
    void dropAll() {
        files.dropAll();
        dirs.dropAll();
    }

    /** Fetched replies waiting (for tests). */
    public int waiting() {
        return files.waiting();
    }

    /** Directory pages fetched ahead and waiting (for tests). */
    public int listingsWaiting() {
        return dirs.waiting();
    }
}
