package dev.fsdriver.client.events;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseNotifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EventApplier}'s answer to OVERFLOW (events lost): drops the kernel's caches under
 * the path and, where watchers may be, announces the differences with what they know.
 *
 * <p>Where nothing known vouches for a name the listing shows (no baseline: see {@link Baselines}),
 * the server's own evidence is asked before it is announced as created: a directory whose mtime and
 * ctime are still those the kernel was given when it first held it ({@link KernelView#stamp}) had
 * no name made, removed or moved in since, so every name in it was there before any watcher could
 * watch it (a watch needs the kernel to hold the directory) and none is announced. Asked once per
 * directory, after its listing, and only when a name would be announced. Limits, each failing
 * towards a duplicate create: times within {@link DirStamps#RACY_NANOS} of the server's clock
 * (read from its events) when held, or held before any event came, vouch for nothing; an event of a
 * name in it applied since takes the stamp away (it may be older than the stamp); the mount's own
 * changes move the times. What it trusts: a name change moves the directory's mtime and ctime, and
 * nothing sets both back (ctime cannot be set on Linux; on Windows only SetFileInformationByHandle
 * can). The per-file rule (a file whose ctime is older than the moment the directory was held was
 * there) is not used: on NTFS a copy may keep ChangeTime and a program may set it, a share on an
 * sshfs-like file system may report mtime as ctime, so a file moved in during the loss could be
 * missed.
 */
final class OverflowResync {
    private static final Logger log = LoggerFactory.getLogger(EventApplier.class);

    private final EventApplier applier;
    private final EventAwareFileSystem fs;
    private final KernelView view;
    private final EchoFilter echo;
    private final EchoFilter announced;
    private final KnownNames names;
    private final FuseNotifier notifier;
    private final boolean injecting;
    private final BigDirResync big;

    OverflowResync(EventApplier applier, EventAwareFileSystem fs, KernelView view, EchoFilter echo, EchoFilter announced,
                   KnownNames names, FuseNotifier notifier, boolean injecting) {
        this.applier = applier;
        this.fs = fs;
        this.view = view;
        this.echo = echo;
        this.announced = announced;
        this.names = names;
        this.notifier = notifier;
        this.injecting = injecting;
        this.big = new BigDirResync(applier, view, names, notifier);
    }

    /**
     * Events under {@code path} were lost: drop everything the kernel caches below it, then list
     * every directory there that the kernel holds and inject the differences with what watchers
     * know ({@link KnownNames}): a delete for every name that went, a create for every name that
     * is new or now another file (another inode number); a file that existed before is not
     * announced again. {@code lostAfter}: changes after this sequence may be lost (the event's
     * lost_after, 0: not known), see {@link KnownNames#trusted}. A directory the kernel holds is
     * never announced again and its entry is left in place (a process may be working inside it);
     * the price: one created during the loss that a program already looked up gets no create. One
     * missing from its parent's listing is moved where the pass finds it, and announced deleted
     * only when the server no longer has it ({@link MovedDirs}).
     */
    void overflow(String path, long lostAfter, long arrivedNs) {
        long top = path.isEmpty() ? view.resolve(path) : current(path, view.resolve(path));
        if (top == 0) {
            return;
        }
        log.info("change events under '{}' were lost: revalidating (lost after event {})", path, lostAfter);
        notifier.invalInode(top, 0, 0);
        // Every held directory is listed first: one missing from its parent's listing may turn up
        // in any other (moved), so none is announced deleted before all were listed (MovedDirs).
        List<Long> order = new ArrayList<>();
        Map<Long, String> paths = new HashMap<>();
        Map<Long, ResyncListing> listings = new HashMap<>();
        Map<Long, Long> sequences = new HashMap<>();
        MovedDirs moved = new MovedDirs(applier, view, fs.reads(), notifier);
        ArrayDeque<Long> queue = new ArrayDeque<>();
        queue.add(top);
        paths.put(top, path);
        while (!queue.isEmpty()) {
            long dir = queue.poll();
            order.add(dir);
            String dirPath = paths.get(dir);
            Map<String, Long> heldDirs = new HashMap<>();
            view.forEachChild(dir, (name, node) -> {
                notifier.invalInode(node, 0, 0);
                if (FileMode.isDirectory(view.mode(node)) && view.held(node)) {
                    heldDirs.put(name, node);
                }
            });
            heldDirs.forEach((name, node) -> {
                if (!paths.containsKey(node)) {
                    paths.put(node, dirPath.isEmpty() ? name : dirPath + "/" + name);
                    queue.add(node);
                }
            });
            if (injecting && view.held(dir)) {
                list(dir, dirPath, listings, sequences);
                ResyncListing listed = listings.get(dir);
                Map<String, Long> before = listed == null || heldDirs.isEmpty() ? null : names.of(dir);
                for (Map.Entry<String, Long> c : listed == null ? Map.<String, Long>of().entrySet() : heldDirs.entrySet()) {
                    if (!listed.contains(c.getKey())) {
                        Long ino = before == null ? null : before.get(c.getKey());
                        moved.missing(dir, c.getKey(), c.getValue(), ino == null ? 0 : ino);
                    }
                }
            }
        }
        // Then each is compared with what watchers know; the directories announced are descended too.
        ArrayDeque<Long> work = new ArrayDeque<>(order);
        Set<Long> done = new HashSet<>();
        while (!work.isEmpty()) {
            long dir = work.poll();
            String dirPath = view.pathOf(dir);
            if (dirPath == null) {
                dirPath = paths.get(dir);
            }
            if (!(injecting && view.held(dir))) {
                view.forEachChild(dir, (name, node) -> notifier.invalEntry(dir, name));
                continue;
            }
            if (done.contains(dir)) {
                continue;
            }
            if (!listings.containsKey(dir)) {
                list(dir, dirPath, listings, sequences); // not listed yet, or its listing failed (moved meanwhile)
                if (!listings.containsKey(dir)) {
                    // still listed in its parent (else MovedDirs decides): maybe removed and made again
                    long now = moved.isMissing(dir) ? dir : current(dirPath, dir);
                    if (now != 0 && now != dir) {
                        work.add(now);
                    }
                    continue;
                }
            }
            done.add(dir);
            ResyncListing listing = listings.remove(dir);
            Map<Long, Boolean> found = listing.big() || names.tooBig(dir)
                    ? big.resync(dir, dirPath, listing, sequences.get(dir), moved)
                    : resync(dir, dirPath, view.children(dir), listing.names(), sequences.get(dir), lostAfter, arrivedNs,
                            moved);
            for (Map.Entry<Long, Boolean> f : found.entrySet()) {
                if (f.getValue()) {
                    // a held directory moved here: its listing failed at its old path, made now
                    ArrayDeque<Long> below = new ArrayDeque<>(List.of(f.getKey()));
                    while (!below.isEmpty()) {
                        long d = below.poll();
                        work.add(d);
                        for (long c : view.children(d).values()) {
                            if (FileMode.isDirectory(view.mode(c)) && view.held(c) && !done.contains(c)) {
                                below.add(c);
                            }
                        }
                    }
                } else {
                    work.add(f.getKey());
                }
            }
        }
        moved.finish();
    }

    /**
     * The directory at {@code path} now, where the kernel held {@code top} (0: nothing): a loss
     * under a directory may cover its own delete and create (a server's storm under it suppresses
     * both: {@code rm -rf big; mkdir big} and a new tree in it), after which the mount kept the old
     * directory and {@code ls big} said ENOENT for as long as the kernel kept the entry (12 minutes
     * and more, 2026-12-06). A held directory the server says is gone is announced deleted, and
     * what the server has there now created, as the lost events would have; without one held, the
     * kernel's entry (a negative one) is dropped. Returns the directory to resync (0: none).
     */
    private long current(String path, long top) {
        long parent = view.resolve(EventApplier.parentOf(path));
        String name = EventApplier.nameOf(path);
        if (parent == 0) {
            return top;
        }
        if (top == 0) {
            notifier.invalEntry(parent, name);
            return 0;
        }
        if (fs.reads().holds(parent, name, top, view.generation(top)) || !fs.reads().gone(top)) {
            return top; // still there, or moved (the server reports a storm's directory moved out) or unknown
        }
        log.info("directory '{}' was removed during the loss: announced deleted", path);
        applier.deleted(path, true);
        if (fs.reads().node(parent, name) == 0) {
            return 0;
        }
        applier.created(path);
        return view.resolve(path);
    }

    /**
     * Whether {@code dir} has the mtime and ctime it had when the kernel first held it
     * ({@link KernelView#stamp}): then no name in it changed since, and a name the listing shows
     * was there before any watcher could watch it. Read after the listing, so a change made
     * between the two shows in the times and the answer is no.
     */
    private boolean unchangedSinceHeld(long dir) {
        long[] stamp = view.stamp(dir);
        if (stamp == null) {
            return false;
        }
        FuseAttr now = fs.reads().attr(dir); // the server's own answer, never a stat kept since (ServerReads#attr)
        if (now == null) {
            return false;
        }
        if (now.mtimeNs() != stamp[0] || now.ctimeNs() != stamp[1]) {
            view.dropStamp(dir); // changed: it vouches for nothing any more, in this resync or a later one
            return false;
        }
        return true;
    }

    /** Lists {@code dir} into {@code listings}; nothing there when it failed (gone, or moved where the server has not seen it). */
    private void list(long dir, String dirPath, Map<Long, ResyncListing> listings, Map<Long, Long> sequences) {
        ResyncListing listed = new ResyncListing(names.maxNames());
        try {
            sequences.put(dir, fs.reads().list(dir, listed));
            listings.put(dir, listed);
        } catch (FuseException e) {
            log.debug("resync of '{}' failed: {}", dirPath, e.getMessage());
        }
    }

    /**
     * Returns the directories to descend into: those it announced (false) and the held ones it
     * found moved here (true, see {@link MovedDirs}).
     * Compares the listing with what watchers know of {@code dir} ({@link KnownNames}): a name
     * known for sure ({@link KnownNames#trusted}) with the same inode number is not announced
     * again, a known name that is gone is announced deleted; without anything known, every name
     * not told of lately is announced.
     */
    private Map<Long, Boolean> resync(long dir, String dirPath, Map<String, Long> known, Map<String, long[]> listed,
                                      long sequence, long lostAfter, long arrivedNs, MovedDirs moved) {
        Map<Long, Boolean> newDirs = new LinkedHashMap<>();
        Map<String, Long> before = names.of(dir);
        Map<String, Long> sure = names.trusted(dir, lostAfter);
        boolean namesWent = false;
        for (Map.Entry<String, Long> k : known.entrySet()) {
            String name = k.getKey();
            long node = k.getValue();
            if (listed.containsKey(name)) {
                continue;
            }
            namesWent = true;
            if (FileMode.isDirectory(view.mode(node)) && view.held(node)) {
                Long ino = before == null ? null : before.get(name);
                moved.missing(dir, name, node, ino == null ? 0 : ino); // moved, or gone: decided at the end of the pass
            } else {
                applier.deleted(dirPath.isEmpty() ? name : dirPath + "/" + name, FileMode.isDirectory(view.mode(node)));
            }
        }
        if (before != null) {
            for (String name : before.keySet()) {
                if (!listed.containsKey(name) && !known.containsKey(name)) {
                    namesWent = true;
                    applier.deleted(dirPath.isEmpty() ? name : dirPath + "/" + name, false); // the kernel holds no entry
                }
            }
        }
        Map<String, Long> now = new HashMap<>();
        // Asked of the server only when a name would be announced. Names gone while the times
        // stayed: a share whose directory times do not move (FAT, some network file systems), so
        // they vouch for nothing here, nor later.
        Boolean unchanged = namesWent ? Boolean.FALSE : null;
        if (namesWent) {
            view.dropStamp(dir);
        }
        for (Map.Entry<String, long[]> l : listed.entrySet()) {
            String name = l.getKey();
            long ino = l.getValue()[0];
            now.put(name, ino);
            String p = dirPath.isEmpty() ? name : dirPath + "/" + name;
            Long held = known.get(name);
            if (held != null && FileMode.isDirectory(view.mode(held))) {
                // A directory the kernel holds: no create again, and its entry stays. Injecting a
                // create replaced the entry, so a process working inside lost its working directory
                // (git: "unable to get current working directory"), and every overflow announced
                // every held directory again (issue 10, B6). Its attributes were dropped above.
                continue;
            }
            long found = held == null ? moved.claim(dir, dirPath, name, ino, (int) l.getValue()[1]) : 0;
            if (found != 0) {
                newDirs.put(found, true); // moved here, as its lost RENAMED would have moved it
                continue;
            }
            if (sure != null && KnownNames.same(sure.get(name), ino)) {
                // the same file as watchers know: it existed before the loss (a create of it
                // was told, or a listing made before the loss showed it)
                continue;
            }
            notifier.invalEntry(dir, name); // re-look up: it may be another file by now
            if (unchanged == null) {
                unchanged = unchangedSinceHeld(dir);
            }
            if (unchanged) {
                continue; // there when the kernel first held the directory: no watcher can have missed it
            }
            if (!echo.isEcho(p, arrivedNs) && !announced.isEcho(p)) {
                if (!applier.injectCreate(dir, p, name)) {
                    now.remove(name); // watchers were not told: the next resync announces it again
                    continue;
                }
                long child = view.child(dir, name);
                if (child != 0 && FileMode.isDirectory(view.mode(child)) && !known.containsKey(name)) {
                    newDirs.put(child, false);
                }
            }
        }
        names.replace(dir, now, sequence);
        return newDirs;
    }
}
