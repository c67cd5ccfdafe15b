package dev.fsdriver.client;

import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem.Reply;

/**
 * {@link OwnReads} of the remote file system: the same paths as the kernel's LOOKUP, GETATTR and
 * listings, asked as the events layer ({@link Asker#OWN}), so that no reference the kernel holds
 * is lent to them. Locking: none of its own.
 */
final class RemoteOwnReads implements OwnReads {
    private final Lookups lookups;
    private final DirListings listings;
    private final NodeTable nodes;
    /** Lands what the mount holds back before each read ({@link HeldUnlinks}, {@link HeldDirTimes}). */
    private final Runnable landHeld;

    RemoteOwnReads(Lookups lookups, DirListings listings, NodeTable nodes, Runnable landHeld) {
        this.lookups = lookups;
        this.listings = listings;
        this.nodes = nodes;
        this.landHeld = landHeld;
    }

    @Override
    public void lookup(long parent, String name, boolean fresh, Reply<FuseEntry> reply) throws FuseException {
        landHeld.run();
        lookups.lookup(fresh ? Asker.OWN_FRESH : Asker.OWN, parent, name, reply);
    }

    @Override
    public void getattr(long node, boolean fresh, Reply<FuseAttrReply> reply) throws FuseException {
        landHeld.run();
        lookups.getattr(fresh ? Asker.OWN_FRESH : Asker.OWN, node, -1, reply); // no handle: a path's attributes
    }

    @Override
    public long opendir(long dir) {
        landHeld.run();
        return listings.opendir(null, dir, 0).fh();
    }

    @Override
    public void readdir(long dir, long fh, long offset, DirFiller filler) throws FuseException {
        landHeld.run();
        listings.readdir(null, dir, fh, offset, filler);
    }

    @Override
    public void releasedir(long dir, long fh) {
        listings.releasedir(null, dir, fh);
    }

    @Override
    public long eventSequence(long fh) {
        return listings.eventSequence(fh);
    }

    @Override
    public void forget(long node, long count) {
        nodes.forget(node, count);
    }
}
