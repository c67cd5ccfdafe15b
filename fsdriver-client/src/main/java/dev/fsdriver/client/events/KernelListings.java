package dev.fsdriver.client.events;

import dev.fsdriver.client.cache.ListingSequences;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.DirPlusFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import java.util.function.UnaryOperator;

/**
 * Directory listings as {@link EventAwareFileSystem} hands them to the kernel: from what is known
 * locally ({@link KnownDirs}) or through the gate from the server; every name a program is shown
 * goes into the watchers' names ({@link KnownNames}, with the listing's event sequence), every
 * entry with a node into the {@link KernelView}; names the applier is about to announce are held
 * back as names only ({@link #announcing}); and each directory a program listed is told to the
 * applier when it is released (its fresh directories).
 *
 * <p>Locking: none of its own beyond the concurrent set; it never calls the kernel notifier.
 */
final class KernelListings {
    private final InjectionGate delegate;
    private final KernelView view;
    private final KnownDirs dirs;
    private final CachePolicy policy;
    /** The names watchers know per directory, for the overflow resync (see {@link KnownNames}). */
    private final KnownNames watchedNames;
    /** What {@link #mayKeep} let the kernel keep. */
    private final KernelKeptListings kept = new KernelKeptListings();
    /** The remote side's listing sequences (see {@link KnownNames}); 0 from a file system without them. */
    private final ListingSequences sequences;
    /** An entry from the server as the kernel is to hold it (its generation, the policy's timeouts). */
    private final UnaryOperator<FuseEntry> asHandedOut;
    /**
     * Names the applier is about to announce with an injected create: a READDIRPLUS meanwhile
     * gives them without attributes, so the kernel does not instantiate their dentries (the
     * injected mknod would then fail EEXIST and the watcher never hear of them).
     */
    private final Set<Announcement> announcing = ConcurrentHashMap.newKeySet();

    private record Announcement(long parent, String name) {}

    /** Told of every RELEASEDIR by a program (not the injector): see EventApplier's fresh directories. */
    private volatile LongConsumer dirOpened = node -> { };

    KernelListings(InjectionGate delegate, KernelView view, KnownDirs dirs, CachePolicy policy,
                   KnownNames watchedNames, ListingSequences sequences, UnaryOperator<FuseEntry> asHandedOut) {
        this.delegate = delegate;
        this.view = view;
        this.dirs = dirs;
        this.policy = policy;
        this.watchedNames = watchedNames;
        this.sequences = sequences;
        this.asHandedOut = asHandedOut;
    }

    void onDirOpened(LongConsumer listener) {
        this.dirOpened = listener;
    }

    /** The applier will inject the creation of {@code name} in {@code parent} (see {@link #announcing}). */
    void announcing(long parent, String name) {
        announcing.add(new Announcement(parent, name));
    }

    /** ...and is done with it. */
    void announced(long parent, String name) {
        announcing.remove(new Announcement(parent, name));
    }

    /**
     * Listed without OPENDIR (a kernel that can): the kernel then keeps each listing it read to
     * its end, as {@link #opendir} lets it while events flow, and no OPENDIR says when not to. Kept
     * until any change made elsewhere arrives ({@link ListingDrops}: all of them, as the client's
     * own listings go at {@code changedElsewhere}), and the kernel versions the changes made
     * through the mount. While the event stream is down a
     * listing is dropped as soon as it is read ({@link #mayKeep}); one kept before stays, as the
     * entries do, until the stream's return revalidates them. Dropping it at the break instead
     * would drop the directories' attributes too: with the server gone, a process could not even
     * enter the mount point.
     */
    boolean withoutOpen() {
        return policy != null;
    }

    /**
     * Whether the kernel may keep the listing of {@code nodeId} it just read: while events flow.
     * Not only while {@link CachePolicy#cacheable}: the events behind a backlog or storm drop what
     * they concern once applied, and dropping a listing drops its directory's attributes, which
     * a program that stats the directory around its listing (tar) would see change.
     */
    boolean mayKeep(long nodeId) {
        if (policy == null || !policy.live()) {
            return false;
        }
        kept.kept(nodeId);
        return true;
    }

    /** The directories whose listings the kernel may keep (see {@link ListingDrops}). */
    KernelKeptListings kept() {
        return kept;
    }

    FuseOpen opendir(FuseRequest req, long nodeId, int flags) throws FuseException {
        FuseOpen open = delegate.opendir(req, nodeId, flags); // the injector's: refused at the gate
        watchedNames.opened(nodeId, open.fh());
        if (policy != null && policy.cacheable()) {
            // While events flow, the kernel may keep directory listings in its page cache: any
            // server-side change drops them (ListingDrops; EventApplier's INVAL_INODE of the
            // parent) and the kernel versions the changes made through the mount itself.
            kept.kept(nodeId);
            return new FuseOpen(open.fh(), open.openFlags() | FuseOpen.FOPEN_CACHE_DIR | FuseOpen.FOPEN_KEEP_CACHE);
        }
        return open;
    }

    void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
        List<Map.Entry<String, KnownDirs.Made>> local = dirs.localListing(nodeId, fh, offset);
        if (local != null) {
            KnownDirs.serveLocal(nodeId, local, offset, filler);
            return;
        }
        delegate.readdir(req, nodeId, fh, offset, (name, ino, mode, next) -> {
            boolean added = filler.add(name, ino, mode, next);
            if (added) {
                watchedNames.listed(nodeId, fh, name, ino, sequences.eventSequence(fh));
            }
            return added;
        });
    }

    void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler) throws FuseException {
        List<Map.Entry<String, KnownDirs.Made>> local = dirs.localListing(nodeId, fh, offset);
        if (local != null) {
            KnownDirs.serveLocal(nodeId, local, offset, (name, ino, mode, next) -> filler.add(name,
                    new FuseEntry(0, 0, new FuseAttr(ino, 0, 0, 0, 0, 0, mode, 1, 0, 0, 0, 4096), 0, 0), next));
            return;
        }
        long epoch = dirs.epoch();
        long stampToken = view.stampToken();
        delegate.readdirplus(req, nodeId, fh, offset, (name, entry, next) -> {
            if (entry.nodeId() != 0 && !announcing.isEmpty() && announcing.contains(new Announcement(nodeId, name))) {
                boolean added = filler.add(name, new FuseEntry(0, 0, entry.attr(), 0, 0), next);
                if (added) {
                    delegate.forget(entry.nodeId(), 1); // the kernel takes no reference to it
                }
                return added;
            }
            FuseEntry e = entry.nodeId() == 0 ? entry : asHandedOut.apply(entry);
            boolean added = filler.add(name, e, next);
            if (added) {
                watchedNames.listed(nodeId, fh, name, entry.attr() == null ? 0 : entry.attr().ino(),
                        sequences.eventSequence(fh));
            }
            if (added && entry.nodeId() != 0) {
                view.entered(nodeId, name, entry.nodeId(), entry.attr(), e.generation(), stampToken);
                dirs.rememberDir(entry.nodeId(), entry.attr(), epoch);
            }
            return added;
        });
    }

    void releasedir(FuseRequest req, long nodeId, long fh) throws FuseException {
        dirs.closed(fh);
        watchedNames.closed(fh);
        delegate.releasedir(req, nodeId, fh); // the injector's: refused at the gate
        dirOpened.accept(nodeId);
    }
}
