package dev.fsdriver.client.cache;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.Attr;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Attributes of regular files and directories known current without asking the server, while
 * change events flow (issues 13 and 17): what the server answered last for the node (Open,
 * Create, GetAttr, SetAttr) and, on top, each Write's reply, which carries the file's attributes
 * after that write, and the replies of calls that change a directory's names, which carry the
 * directory's attributes after the change ({@link #dirChanged}). The kernel asks for a file's
 * attributes after every write through the mount and after every read (the atime it holds is
 * then stale), and for a directory's before every create or unlink in it that follows another
 * (its permission check: rm -rf, untar, sqlite's journal); all are answered from here.
 *
 * <p>What is kept is dropped when it may no longer be the server's truth: every change event and
 * every change of the event stream's state drops all ({@link #changedElsewhere}: the server sends
 * a mount only other sessions' changes); a change through the mount that brings no attributes
 * back drops its node (unlink and rename: the node the kernel holds under the name, or all when
 * that is not known: {@link #dropAll}).
 *
 * <p>Locking: none. A reply races with a drop through a clock: every drop moves it, a reply is
 * kept with the clock read before its call was sent ({@link #epoch()}), and only when no drop of
 * its node, or of all, came after that. A directory's answer is kept with the clock moved: a call
 * sent after it (its clock read since) was made by the server after it, so its answer replaces
 * it whatever the times say (rm -rf: one unlink after another within one tick of a coarse clock,
 * tmpfs's or NTFS's, same ctime and another size). Replies of calls in flight together (two
 * unlinks in one directory at once) may come back in another order than the server made them: a
 * directory's ctime moves with every change to it, so the newest ctime wins, and two different
 * answers with the same ctime (a clock coarser than the gap) drop it.
 */
public final class KnownAttrs {
    private static final int MAX_NODES = 1 << 16;
    private static final int SET_ID = FileMode.S_ISUID | FileMode.S_ISGID;

    private sealed interface Entry permits Known, Dropped {}

    /**
     * The server's answer to a call sent at {@code sentAt}, kept at {@code keptAt} (a directory's:
     * the clock moved; 0 where answers are not ordered that way: files').
     */
    private record Known(Attr attr, long sentAt, long keptAt) implements Entry {
        Known(Attr attr, long sentAt) {
            this(attr, sentAt, 0);
        }
    }

    /** The node was changed at {@code at}: answers to calls sent before are not kept. */
    private record Dropped(long at) implements Entry {}

    private final ConcurrentHashMap<Long, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong clock = new AtomicLong();
    /** The clock at the last drop of everything: answers sent before it are not used. */
    private volatile long allDroppedAt;
    private volatile BooleanSupplier live = () -> false;
    private volatile LongConsumer changed = node -> {};
    private volatile LongConsumer writtenTo = node -> {};
    private volatile LongConsumer kernelStale = node -> {};
    private volatile LongConsumer alsoStale = node -> {};

    /**
     * {@code changed} is told of every node the mount changes ({@link #drop}, {@link #written}: a
     * write's reply, when its data is on the server), so that listings kept with the node's
     * attributes are not trusted for it any more (see {@link RemoteCaches#changing}).
     */
    void onChange(LongConsumer changed) {
        this.changed = changed;
    }

    /**
     * {@code written} is told of each node whose written data just reached the server ({@link
     * #written}): what was read of it before, ahead of any program, is older than that data.
     */
    void onWritten(LongConsumer written) {
        this.writtenTo = written;
    }

    /** The mount changed {@code node}, whose attributes it just kept (see {@link #onChange}). */
    public void changed(long node) {
        changed.accept(node);
    }

    /** {@code stale} is told of a node whose attributes the kernel holds are not the server's (see {@link #kernelStale}). */
    public void onKernelStale(LongConsumer stale) {
        this.kernelStale = stale;
    }

    /**
     * The kernel holds attributes of {@code node} this mount answered ahead of the server (a
     * change held with the file's writes, just sent: the server's ctime is later): it is to ask
     * again (tar c: "file changed as we read it" when the ctime moved under it).
     */
    public void kernelStale(long node) {
        alsoStale.accept(node); // first: the kernel's next ask must not find them above
        kernelStale.accept(node);
    }

    /** {@code stale} is told first of each {@link #kernelStale} node: the layer above's copy of what the kernel was answered. */
    public void alsoKernelStale(LongConsumer stale) {
        this.alsoStale = stale;
    }

    /** Keeps attributes only while {@code live} holds (the change events flow). */
    void enableWhile(BooleanSupplier live) {
        this.live = live;
    }

    /** Read before a call whose reply is to be kept. */
    public long epoch() {
        return clock.get();
    }

    /** The attributes of {@code node} as the server last said, if nothing may have changed them since; else null. */
    public Attr get(long node) {
        return entries.get(node) instanceof Known k && k.sentAt >= allDroppedAt && live.getAsBoolean() ? k.attr : null;
    }

    /** The server answered {@code attr} for {@code node} to a call sent at {@code sentAt} (its whole truth then). */
    public void answered(long node, Attr attr, long sentAt) {
        if (!keepable(attr, sentAt)) {
            return;
        }
        if (FileMode.isDirectory(attr.getMode())) {
            entries.compute(node, (n, e) -> e instanceof Dropped d && d.at > sentAt ? e
                    : e instanceof Known k && k.sentAt >= allDroppedAt && FileMode.isDirectory(k.attr.getMode())
                            ? newer(k, attr, sentAt) : new Known(attr, sentAt, clock.incrementAndGet()));
        } else {
            entries.compute(node, (n, e) -> e instanceof Dropped d && d.at > sentAt
                    || e instanceof Known k && k.sentAt > sentAt ? e : new Known(attr, sentAt));
        }
    }

    /** Of two answers about one directory, the one made later (see the class comment). */
    private Entry newer(Known had, Attr got, long sentAt) {
        if (had.keptAt != 0 && sentAt >= had.keptAt) {
            return new Known(got, sentAt, clock.incrementAndGet()); // sent once the other was back
        }
        long hadCtime = had.attr.getCtimeNs();
        if (got.getCtimeNs() != hadCtime) {
            return got.getCtimeNs() > hadCtime ? new Known(got, sentAt, clock.incrementAndGet()) : had;
        }
        return withoutAtime(had.attr).equals(withoutAtime(got)) ? had : new Dropped(clock.incrementAndGet());
    }

    private static Attr withoutAtime(Attr a) {
        return a.getAtimeNs() == 0 ? a : a.toBuilder().clearAtimeNs().build();
    }

    /**
     * A call sent at {@code sentAt} changed the names in directory {@code dir} (made, removed or
     * moved one), and its reply brought the directory's attributes just after it: {@code after},
     * or null when it did not (an older server, a failed or unanswered call), which drops them.
     */
    public void dirChanged(long dir, Attr after, long sentAt) {
        if (after == null) {
            drop(dir);
        } else {
            answered(dir, after, sentAt);
        }
    }

    /**
     * A write to {@code node} sent at {@code sentAt} was answered with {@code attr}. Replies of
     * writes in flight together may arrive in any order, and file times may be coarser than the
     * gap between them: the largest size and times win, and a set-id bit any write cleared stays
     * cleared (a write never sets one).
     */
    public void written(long node, Attr attr, long sentAt) {
        changed.accept(node);
        writtenTo.accept(node);
        if (keepable(attr, sentAt)) {
            entries.compute(node, (n, e) -> {
                if (e instanceof Dropped d && d.at > sentAt) {
                    return e;
                }
                return e instanceof Known k && k.sentAt >= allDroppedAt
                        ? new Known(merged(k.attr, attr), Math.min(k.sentAt, sentAt)) : new Known(attr, sentAt);
            });
        }
    }

    private static Attr merged(Attr had, Attr got) {
        return got.toBuilder()
                .setSize(Math.max(had.getSize(), got.getSize()))
                .setBlocks(Math.max(had.getBlocks(), got.getBlocks()))
                .setMtimeNs(Math.max(had.getMtimeNs(), got.getMtimeNs()))
                .setCtimeNs(Math.max(had.getCtimeNs(), got.getCtimeNs()))
                .setAtimeNs(Math.max(had.getAtimeNs(), got.getAtimeNs()))
                .setMode(got.getMode() & ~(SET_ID & ~had.getMode()))
                .build();
    }

    private boolean keepable(Attr attr, long sentAt) {
        if (!FileMode.isRegular(attr.getMode()) && !FileMode.isDirectory(attr.getMode())
                || sentAt < allDroppedAt || !live.getAsBoolean()) {
            return false;
        }
        if (entries.size() >= MAX_NODES) {
            dropAll();
            return false;
        }
        return true;
    }

    /**
     * The server named {@code node} in an entry (lookup, create, listing) with {@code attr}. A node
     * id is the file's inode number, which a new file or directory takes over once the old file is
     * gone on the server (a read-only open answered here holds no server handle to keep it): what is
     * kept of another file under that id must go, or the kernel's GETATTR for the new one gets the
     * old file's (a directory answered as a regular file is a bad inode to the kernel: EIO,
     * DifferentialStressTest seed 9). What is kept is of one file, (id, generation): another
     * generation is another file (the kernel too makes a new inode for it); where the server gives
     * none, type, ino and ctime tell.
     */
    public void entered(long node, Attr attr) {
        if (entries.get(node) instanceof Known k && ((k.attr.getMode() & FileMode.S_IFMT) != (attr.getMode() & FileMode.S_IFMT)
                || k.attr.getGeneration() != attr.getGeneration()
                || k.attr.getCtimeNs() != attr.getCtimeNs() || k.attr.getIno() != attr.getIno())) {
            drop(node);
        }
    }

    /**
     * A rename of {@code node} sent at {@code sentAt} (after its first {@link #drop}) is done, and
     * its reply brought the file's attributes just after it: kept, unless anything else was
     * known of or happened to the node since (then dropped, as after any rename). Kept with the
     * clock of now, so that no answer to a call sent while the rename went on replaces it.
     */
    void moved(long node, Attr after, long sentAt) {
        if (!keepable(after, sentAt)) {
            drop(node);
            return;
        }
        long now = clock.incrementAndGet();
        entries.compute(node, (n, e) -> e instanceof Dropped d && d.at <= sentAt
                ? new Known(after, now, now) : new Dropped(now));
        changed.accept(node);
    }

    /** The mount changes {@code node} in a way whose attributes do not come back (call before and after). */
    public void drop(long node) {
        if (entries.size() >= MAX_NODES) {
            dropAll(); // bounded: a drop of everything covers this one
        }
        entries.put(node, new Dropped(clock.incrementAndGet()));
        changed.accept(node);
    }

    /** The mount changes a name whose node is not known here: nothing kept is sure any more. */
    void dropAll() {
        allDroppedAt = clock.incrementAndGet();
        if (!entries.isEmpty()) {
            entries.clear();
        }
    }

    /** A change event arrived, or the event stream changed state. */
    void changedElsewhere() {
        dropAll();
    }
}
