package dev.fsdriver.client.events;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseNotifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The overflow resync of a directory with more names than {@link KnownNames} keeps
 * ({@link KnownNames#MAX_NAMES}): compared by what the kernel holds, not name by name. Runs on
 * the applier's thread, like {@link OverflowResync}.
 */
final class BigDirResync {
    private static final Logger log = LoggerFactory.getLogger(EventApplier.class);
    /**
     * Deletes a resync of a directory over {@link KnownNames#MAX_NAMES} announces at most (inotify's
     * own default queue, max_queued_events): each asks the server whether the kernel's file is
     * still there, 655,437 Lookups when a storm removed 1,000,000 files (2026-12-06).
     */
    static final int MAX_DELETES = 16_384;

    private final EventApplier applier;
    private final KernelView view;
    private final KnownNames names;
    private final FuseNotifier notifier;

    BigDirResync(EventApplier applier, KernelView view, KnownNames names, FuseNotifier notifier) {
        this.applier = applier;
        this.view = view;
        this.names = names;
        this.notifier = notifier;
    }

    /**
     * The resync of {@code dir}: what the kernel holds there is compared with the listing (a name gone is announced deleted, up to
     * {@link #MAX_DELETES}, beyond only dropped from the kernel's cache; a held
     * directory missing is looked for elsewhere, one listed that the kernel holds as a file is
     * looked up again: it may be another file now), but names the kernel does not hold are not
     * announced one by one (that read each from the server: 632,586 Lookups and as many
     * GetAttrs for 545 overflows in a 1,000,000-name directory, 2026-12-06). Said in the log.
     * A listing back under the bound restarts the names kept ({@link KnownNames#replace}).
     * Returns the held directories found moved here (true), as {@link OverflowResync}'s does.
     */
    Map<Long, Boolean> resync(long dir, String dirPath, ResyncListing listed, long sequence, MovedDirs moved) {
        Map<Long, Boolean> newDirs = new LinkedHashMap<>();
        List<String> went = new ArrayList<>();
        Map<String, Long> wentDirs = new HashMap<>();
        view.forEachChild(dir, (name, node) -> {
            boolean isDir = FileMode.isDirectory(view.mode(node));
            if (listed.contains(name)) {
                if (!isDir) {
                    notifier.invalEntry(dir, name);
                }
            } else if (isDir && view.held(node)) {
                wentDirs.put(name, node);
            } else {
                went.add(name);
            }
        });
        Map<String, Long> before = names.of(dir); // at most KnownNames.MAX_NAMES: a directory that just grew past it
        if (before != null) {
            before.keySet().removeIf(name -> listed.contains(name) || view.child(dir, name) != 0);
            went.addAll(before.keySet()); // told to watchers, not held by the kernel, gone
        }
        if (!went.isEmpty() || !wentDirs.isEmpty()) {
            view.dropStamp(dir);
        }
        wentDirs.forEach((name, node) -> moved.missing(dir, name, node, 0)); // moved, or gone: decided at the end
        int told = 0;
        for (String name : went) {
            if (told++ < MAX_DELETES) {
                long node = view.child(dir, name);
                applier.deleted(dirPath.isEmpty() ? name : dirPath + "/" + name, node != 0 && FileMode.isDirectory(view.mode(node)));
            } else {
                notifier.invalEntry(dir, name); // the kernel drops it, unannounced
            }
        }
        List<ResyncListing.Dir> dirs = listed.big() ? listed.directories() : null;
        if (dirs != null) {
            for (ResyncListing.Dir d : dirs) {
                if (view.child(dir, d.name()) == 0) {
                    long found = moved.claim(dir, dirPath, d.name(), d.ino(), FileMode.S_IFDIR);
                    if (found != 0) {
                        newDirs.put(found, true); // moved here, as its lost RENAMED would have moved it
                    }
                }
            }
        }
        log.warn("directory '{}' has {} names, more than the {} whose changes are announced one by one after events"
                + " were lost: names made there during the loss were not announced to inotify watchers, of {} gone {}"
                + " were; the kernel's caches of it were dropped", dirPath, listed.size(), names.maxNames(),
                went.size() + wentDirs.size(), Math.min(went.size(), MAX_DELETES) + wentDirs.size());
        if (listed.big()) {
            names.markTooBig(dir);
        } else {
            Map<String, Long> now = new HashMap<>();
            listed.names().forEach((name, v) -> now.put(name, v[0]));
            names.replace(dir, now, sequence);
        }
        return newDirs;
    }
}
