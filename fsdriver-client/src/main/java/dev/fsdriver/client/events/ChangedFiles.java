package dev.fsdriver.client.events;

import dev.fsdriver.client.LocalWrites;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseNotifier;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EventApplier}'s MODIFIED and ATTRIB: the kernel's attributes (and, for a content
 * change, its pages) of the file are dropped, and where somebody could be watching, a truncate to
 * the server's size or a chmod to its mode is injected so that watchers get IN_MODIFY or
 * IN_ATTRIB. Runs on the applier's thread.
 */
final class ChangedFiles {
    private static final Logger log = LoggerFactory.getLogger(ChangedFiles.class);

    /** Counts an injection's outcome (the applier's count of injected events). */
    @FunctionalInterface
    interface Counter {
        void count(int rc, String path);
    }

    private final EventAwareFileSystem fs;
    private final KernelView view;
    private final Injector injector;
    private final FuseNotifier notifier;
    private final FreshDirs freshDirs;
    private final LongPredicate mayInject;
    private final Counter counter;

    ChangedFiles(EventAwareFileSystem fs, KernelView view, Injector injector, FuseNotifier notifier, FreshDirs freshDirs,
            LongPredicate mayInject, Counter counter) {
        this.fs = fs;
        this.view = view;
        this.injector = injector;
        this.notifier = notifier;
        this.freshDirs = freshDirs;
        this.mayInject = mayInject;
        this.counter = counter;
    }

    /**
     * {@code attr}, {@code eventNode}: the event's attributes and their node (null, 0: not sent),
     * which only tell whether the event is about the kernel's file.
     *
     * <p>The rule for the injected truncate and chmod (issue 9): the kernel takes the size
     * answered to them (and to a GETATTR before) as i_size and drops the pages past it. An event's
     * size is older than what this mount did since, and while a program here writes the file the
     * kernel's may be ahead of the server's. So nothing is injected while a program here has the
     * file open for writing (only invalidated); otherwise the answer is the server's attributes,
     * read after taking the file's {@link LocalWrites} stamp, refused if a program here changed
     * the file since. A missing IN_MODIFY, never a cut file.
     */
    void apply(String path, boolean attribOnly, FuseAttr attr, long eventNode) {
        long parent = view.resolve(EventApplier.parentOf(path));
        if (parent == 0) {
            return;
        }
        String name = EventApplier.nameOf(path);
        long node = path.isEmpty() ? FuseFileSystem.ROOT_ID : view.child(parent, name);
        if (node != 0) {
            notifier.invalInode(node, attribOnly ? -1 : 0, 0);
        }
        if (path.isEmpty() || !mayInject.test(parent)) {
            return;
        }
        if (node != 0 && attr != null && eventNode != 0 && eventNode != node) {
            // the attributes are of another file the name leads to now: never the kernel's node's
            log.debug("{} '{}': the event's file {} is not the kernel's {} there, not injected",
                    attribOnly ? "attrib" : "modified", path, eventNode, node);
            return;
        }
        LocalWrites writers = injector.writes();
        long stamp = node != 0 ? writers.stamp(node) : 0;
        if (node != 0 && writers.writing(node)) {
            log.debug("{} '{}': open for writing here, its size may be ahead of the server's: not injected",
                    attribOnly ? "attrib" : "modified", path);
            return;
        }
        // The attributes and, when the kernel holds no entry for the name, the entry its LOOKUP
        // is answered with: asked here (a read, through the gate), never by the injected call;
        // of the server itself, so read after the stamp (never a listing or stat kept before it)
        FuseEntry entry;
        try {
            entry = fs.reads().lookupFresh(parent, name);
        } catch (FuseException gone) {
            return; // gone again: a DELETED follows
        }
        if (entry == null || entry.nodeId() == 0 || entry.attr() == null) {
            return;
        }
        if (node != 0) {
            fs.reads().giveBack(entry.nodeId()); // the kernel holds its own entry
            if (entry.nodeId() != node) {
                return; // the name leads to another file now: its own events follow
            }
        } else {
            // the node the kernel will take: a writer of it here (by another name) counts too
            stamp = writers.stamp(entry.nodeId());
            if (writers.writing(entry.nodeId())) {
                fs.reads().giveBack(entry.nodeId());
                return;
            }
        }
        // node 0: read again after the stamp, not the fresh lookup's attributes: the node is only
        // known from that lookup, so its LocalWrites stamp is read after it, and a size change
        // through this mount (a write or truncate, by another name) between the two would be in
        // neither the lookup's attributes nor the stamp's later check: the injected truncate
        // would announce the size before it.
        FuseAttr current = node != 0 ? entry.attr() : fs.reads().attr(entry.nodeId());
        if (current == null) {
            fs.reads().giveBack(entry.nodeId());
            return;
        }
        int mode = current.mode();
        boolean applies = attribOnly ? !FileMode.isSymlink(mode) : FileMode.isRegular(mode);
        FuseEntry handed = node == 0 ? new FuseEntry(entry.nodeId(), entry.generation(), current,
                entry.entryTimeoutNs(), entry.attrTimeoutNs()) : null;
        Injection inj = Injection.change(attribOnly ? Injection.Op.ATTRIB : Injection.Op.MODIFY, parent, name,
                handed, node != 0 ? node : entry.nodeId(), current, stamp);
        if (applies) {
            freshDirs.awaitWatcher(parent);
            String abs = injector.absolute(path);
            long size = current.size();
            // the same mode, the server's size: nothing would change even on the server (which
            // the gate keeps it from reaching anyway); the SETATTR is answered with current
            counter.count(injector.perform(inj, attribOnly ? () -> InjectedCalls.chmod(abs, mode & 07777) : () -> InjectedCalls.truncate(abs, size)),
                    path);
        }
        if (handed != null && !inj.handedOver()) {
            fs.reads().giveBack(entry.nodeId()); // the kernel did not take the reference
        }
    }
}
