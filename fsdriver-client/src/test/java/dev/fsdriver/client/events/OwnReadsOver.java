package dev.fsdriver.client.events;

import dev.fsdriver.client.OwnReads;
import dev.fsdriver.client.cache.ListingSequences;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseRequest;

/**
 * {@link OwnReads} over a test's fake file system: each read is that file system's request of an
 * {@link Own} header, which a fake (or a hook) tells apart from the kernel's. The remote file
 * system has its own, with no request at all.
 */
final class OwnReadsOver implements OwnReads {
    /** The header of the events layer's own read; {@code fresh}: see {@link OwnReads}. */
    record Own(long nodeId, boolean fresh) implements FuseRequest {
        public long unique() { return 0; }
        public int opcode() { return 0; }
        public int uid() { return 0; }
        public int gid() { return 0; }
        public int pid() { return 0; }
        public boolean isInterrupted() { return false; }
    }

    private final FuseFileSystem fs;
    private final ListingSequences sequences;

    private OwnReadsOver(FuseFileSystem fs, ListingSequences sequences) {
        this.fs = fs;
        this.sequences = sequences;
    }

    /** Reads of {@code fs}, with listing sequences of 0 (not known) unless it has them. */
    static OwnReads of(FuseFileSystem fs) {
        return new OwnReadsOver(fs, fs instanceof ListingSequences s ? s : fh -> 0);
    }

    static OwnReads of(FuseFileSystem fs, ListingSequences sequences) {
        return new OwnReadsOver(fs, sequences);
    }

    /** Whether {@code req} is an own read that asks the server itself. */
    static boolean fresh(FuseRequest req) {
        return req instanceof Own o && o.fresh();
    }

    /** Called before each own lookup of a name (a test's moment to change the server). */
    @FunctionalInterface
    interface BeforeLookup {
        void before(String name) throws Throwable;
    }

    /** {@code reads}, with {@code hook} called before each lookup (the remote file system's own reads, hooked). */
    static OwnReads beforeLookup(OwnReads reads, BeforeLookup hook) {
        return new OwnReads() {
            @Override
            public void lookup(long parent, String name, boolean fresh, FuseFileSystem.Reply<FuseEntry> reply)
                    throws FuseException {
                try {
                    hook.before(name);
                } catch (RuntimeException | Error | FuseException e) {
                    throw e;
                } catch (Throwable e) {
                    throw new IllegalStateException(e);
                }
                reads.lookup(parent, name, fresh, reply);
            }

            @Override
            public void getattr(long node, boolean fresh, FuseFileSystem.Reply<FuseAttrReply> reply) throws FuseException {
                reads.getattr(node, fresh, reply);
            }

            @Override
            public long opendir(long dir) throws FuseException {
                return reads.opendir(dir);
            }

            @Override
            public void readdir(long dir, long fh, long offset, DirFiller filler) throws FuseException {
                reads.readdir(dir, fh, offset, filler);
            }

            @Override
            public void releasedir(long dir, long fh) {
                reads.releasedir(dir, fh);
            }

            @Override
            public long eventSequence(long fh) {
                return reads.eventSequence(fh);
            }

            @Override
            public void forget(long node, long count) {
                reads.forget(node, count);
            }
        };
    }

    @Override
    public void lookup(long parent, String name, boolean fresh, FuseFileSystem.Reply<FuseEntry> reply)
            throws FuseException {
        fs.lookup(new Own(parent, fresh), parent, name, reply);
    }

    @Override
    public void getattr(long node, boolean fresh, FuseFileSystem.Reply<FuseAttrReply> reply) throws FuseException {
        fs.getattr(new Own(node, fresh), node, -1, reply);
    }

    @Override
    public long opendir(long dir) throws FuseException {
        return fs.opendir(new Own(dir, false), dir, 0).fh();
    }

    @Override
    public void readdir(long dir, long fh, long offset, DirFiller filler) throws FuseException {
        fs.readdir(new Own(dir, false), dir, fh, offset, filler);
    }

    @Override
    public void releasedir(long dir, long fh) {
        try {
            fs.releasedir(new Own(dir, false), dir, fh);
        } catch (FuseException e) {
            throw new IllegalStateException(e); // the fakes' releasedir does not fail
        }
    }

    @Override
    public long eventSequence(long fh) {
        return sequences.eventSequence(fh);
    }

    @Override
    public void forget(long node, long count) {
        fs.forget(node, count);
    }
}
