package dev.fsdriver.client.events;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseNotifier;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EventApplier}'s answer to OVERFLOW (events lost): drops the kernel's caches under
 * the path and, where watchers may be, announces the differences with what they know.
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
    }

    /**
     * Events under {@code path} were lost: drop everything the kernel caches below it, then list
     * every directory there that the kernel holds and inject the differences with what watchers
     * know ({@link KnownNames}): a delete for every name that went, a create for every name that
     * is new or now another file (another inode number); a file that existed before is not
     * announced again. {@code lostAfter}: changes after this sequence may be lost (the event's
     * lost_after, 0: not known), see {@link KnownNames#trusted}. A directory the kernel holds is never announced again and its entry is
     * left in place (a process may be working inside it); the price: one created during the loss
     * that a program already looked up gets no create.
     */
    void overflow(String path, long lostAfter, long arrivedNs) {
        long top = view.resolve(path);
        if (top == 0) {
            return;
        }
        log.info("change events under '{}' were lost: revalidating (lost after event {})", path, lostAfter);
        ArrayDeque<long[]> queue = new ArrayDeque<>();
        Map<Long, String> paths = new HashMap<>();
        queue.add(new long[] {top});
        paths.put(top, path);
        notifier.invalInode(top, 0, 0);
        while (!queue.isEmpty()) {
            long dir = queue.poll()[0];
            String dirPath = paths.get(dir);
            Map<String, Long> known = view.children(dir);
            for (Map.Entry<String, Long> c : known.entrySet()) {
                notifier.invalInode(c.getValue(), 0, 0);
                if (FileMode.isDirectory(view.mode(c.getValue())) && view.held(c.getValue())) {
                    paths.put(c.getValue(), dirPath.isEmpty() ? c.getKey() : dirPath + "/" + c.getKey());
                    queue.add(new long[] {c.getValue()});
                }
            }
            if (injecting && view.held(dir)) {
                for (Map.Entry<String, Long> created : resync(dir, dirPath, known, lostAfter, arrivedNs).entrySet()) {
                    paths.put(created.getValue(), dirPath.isEmpty() ? created.getKey() : dirPath + "/" + created.getKey());
                    queue.add(new long[] {created.getValue()});
                }
            } else {
                for (String name : known.keySet()) {
                    notifier.invalEntry(dir, name);
                }
            }
        }
    }

    /**
     * Returns the directories it announced (name -> node): the caller descends into them too.
     * Compares the listing with what watchers know of {@code dir} ({@link KnownNames}): a name
     * known for sure ({@link KnownNames#trusted}) with the same inode number is not announced
     * again, a known name that is gone is announced deleted; without anything known, every name
     * not told of lately is announced.
     */
    private Map<String, Long> resync(long dir, String dirPath, Map<String, Long> known, long lostAfter, long arrivedNs) {
        Map<String, long[]> listed = new HashMap<>(); // name -> {ino, mode}
        Map<String, Long> newDirs = new HashMap<>();
        long sequence;
        try {
            sequence = fs.reads().list(dir, listed);
        } catch (FuseException e) {
            log.debug("resync of '{}' failed: {}", dirPath, e.getMessage());
            return newDirs;
        }
        Map<String, Long> before = names.of(dir);
        Map<String, Long> sure = names.trusted(dir, lostAfter);
        for (String name : known.keySet()) {
            if (!listed.containsKey(name)) {
                applier.deleted(dirPath.isEmpty() ? name : dirPath + "/" + name, FileMode.isDirectory(view.mode(known.get(name))));
            }
        }
        if (before != null) {
            for (String name : before.keySet()) {
                if (!listed.containsKey(name) && !known.containsKey(name)) {
                    applier.deleted(dirPath.isEmpty() ? name : dirPath + "/" + name, false); // the kernel holds no entry
                }
            }
        }
        Map<String, Long> now = new HashMap<>();
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
            if (sure != null && KnownNames.same(sure.get(name), ino)) {
                // the same file as watchers know: it existed before the loss (a create of it
                // was told, or a listing made before the loss showed it)
                continue;
            }
            notifier.invalEntry(dir, name); // re-look up: it may be another file by now
            if (!echo.isEcho(p, arrivedNs) && !announced.isEcho(p)) {
                applier.injectCreate(dir, p, name);
                long child = view.child(dir, name);
                if (child != 0 && FileMode.isDirectory(view.mode(child)) && !known.containsKey(name)) {
                    newDirs.put(name, child);
                }
            }
        }
        names.replace(dir, now, sequence);
        return newDirs;
    }
}
