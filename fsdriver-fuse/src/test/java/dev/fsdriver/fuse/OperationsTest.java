package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.examples.MemoryFileSystem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operations the contract tests do not single out, each seen from both ends: what the file
 * system was asked (a recording memory file system) and what the caller got.
 */
class OperationsTest {
    @TempDir
    Path tmp;
    Path mnt;
    Probe fs;
    FuseMount mount;

    /** The memory file system, recording calls; node ids are the inode numbers stat shows. */
    static class Probe extends MemoryFileSystem {
        final List<String> calls = new CopyOnWriteArrayList<>();
        /** Lookup counts handed to the kernel and given back by FORGET, per node. */
        final Map<Long, Long> given = new ConcurrentHashMap<>();
        final Map<Long, Long> forgotten = new ConcurrentHashMap<>();
        final AtomicInteger destroyed = new AtomicInteger();
        final List<String> xattrCalls = new CopyOnWriteArrayList<>();
        volatile long failFlushOf = -1;
        volatile long readOnlyNode = -1;
        volatile int xattrErrno;   // 0: UnsupportedOperationException (ENOSYS)
        /** Unlink and rmdir answered 20 ms later, from a thread of their own. */
        volatile boolean answerLater;

        private void later(String what, FuseFileSystem.Reply<Void> done, Callable op) {
            Thread.ofPlatform().name("later").start(() -> {
                LockSupport.parkNanos(20_000_000L);
                int errno = 0;
                try {
                    op.run();
                } catch (FuseException e) {
                    errno = e.errno();
                }
                calls.add(what + " answered by " + Thread.currentThread().getName());
                FuseFileSystem.Reply.answer(done, errno);
            });
        }

        interface Callable {
            void run() throws FuseException;
        }

        @Override
        public void unlink(FuseRequest req, long parent, String name, FuseFileSystem.Reply<Void> done)
                throws FuseException {
            if (!answerLater) {
                super.unlink(req, parent, name, done);
                return;
            }
            later("unlink " + name, done, () -> unlink(req, parent, name));
        }

        /** Setattr refused for this node (EPERM), answered later like the rest. */
        volatile long noSetattrNode = -1;

        @Override
        public void setattr(FuseRequest req, long nodeId, FuseSetAttr changes, FuseFileSystem.Reply<FuseAttrReply> reply)
                throws FuseException {
            if (!answerLater) {
                super.setattr(req, nodeId, changes, reply);
                return;
            }
            Thread.ofPlatform().name("later").start(() -> {
                LockSupport.parkNanos(20_000_000L);
                calls.add("setattr " + nodeId + " answered by " + Thread.currentThread().getName());
                if (nodeId == noSetattrNode) {
                    reply.failed(Errno.EPERM);
                    return;
                }
                try {
                    reply.done(setattr(req, nodeId, changes));
                } catch (FuseException e) {
                    reply.failed(e.errno());
                }
            });
        }

        @Override
        public void rmdir(FuseRequest req, long parent, String name, FuseFileSystem.Reply<Void> done)
                throws FuseException {
            if (!answerLater) {
                super.rmdir(req, parent, name, done);
                return;
            }
            later("rmdir " + name, done, () -> rmdir(req, parent, name));
        }

        private FuseEntry counted(FuseEntry e) {
            if (e != null && e.nodeId() != 0) {
                given.merge(e.nodeId(), 1L, Long::sum);
            }
            return e;
        }

        @Override
        public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
            return counted(super.lookup(req, parent, name));
        }

        @Override
        public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
                throws FuseException {
            FuseCreated c = super.create(req, parent, name, mode, flags, umask);
            counted(c.entry());
            return c;
        }

        @Override
        public FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
            return counted(super.mkdir(req, parent, name, mode, umask));
        }

        @Override
        public void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
                throws FuseException {
            calls.add("readdirplus fh=" + fh);
            super.readdirplus(req, nodeId, fh, offset, (name, e, next) -> {
                boolean added = filler.add(name, e, next);
                if (added) {
                    counted(e);
                }
                return added;
            });
        }

        @Override
        public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler)
                throws FuseException {
            calls.add("readdir fh=" + fh);
            super.readdir(req, nodeId, fh, offset, filler);
        }

        @Override
        public FuseOpen open(FuseRequest req, long nodeId, int flags) throws FuseException {
            calls.add("open node=" + nodeId + " trunc=" + ((flags & 01000) != 0));
            return super.open(req, nodeId, flags);
        }

        @Override
        public FuseAttrReply setattr(FuseRequest req, long nodeId, FuseSetAttr changes) throws FuseException {
            calls.add("setattr node=" + nodeId + " size=" + changes.size());
            return super.setattr(req, nodeId, changes);
        }

        @Override
        public void forget(long nodeId, long nlookup) {
            forgotten.merge(nodeId, nlookup, Long::sum);
        }

        @Override
        public void flush(FuseRequest req, long nodeId, long fh, long lockOwner) throws FuseException {
            calls.add("flush fh=" + fh);
            if (nodeId == failFlushOf) {
                throw new FuseException(Errno.ENOSPC);
            }
        }

        @Override
        public void release(FuseRequest req, long nodeId, long fh, int flags) {
            calls.add("release fh=" + fh);
        }

        @Override
        public void fsync(FuseRequest req, long nodeId, long fh, boolean datasync) {
            calls.add("fsync fh=" + fh + " datasync=" + datasync);
        }

        @Override
        public FuseOpen opendir(FuseRequest req, long nodeId, int flags) {
            return FuseOpen.of(1000 + nodeId);
        }

        @Override
        public void releasedir(FuseRequest req, long nodeId, long fh) {
            calls.add("releasedir fh=" + fh);
        }

        @Override
        public void fsyncdir(FuseRequest req, long nodeId, long fh, boolean datasync) {
            calls.add("fsyncdir fh=" + fh + " datasync=" + datasync);
        }

        @Override
        public void access(FuseRequest req, long nodeId, int mask) throws FuseException {
            calls.add("access node=" + nodeId + " mask=" + mask);
            if (nodeId == readOnlyNode && (mask & 2) != 0) {
                throw new FuseException(Errno.EACCES);
            }
        }

        private void xattr(String op) throws FuseException {
            xattrCalls.add(op);
            if (xattrErrno == 0) {
                throw new UnsupportedOperationException("no xattrs here");
            }
            throw new FuseException(xattrErrno);
        }

        @Override
        public byte[] getxattr(FuseRequest req, long nodeId, String name) throws FuseException {
            xattr("getxattr");
            return null;
        }

        @Override
        public List<String> listxattr(FuseRequest req, long nodeId) throws FuseException {
            xattr("listxattr");
            return null;
        }

        @Override
        public void setxattr(FuseRequest req, long nodeId, String name, byte[] value, int flags) throws FuseException {
            xattr("setxattr");
        }

        @Override
        public void removexattr(FuseRequest req, long nodeId, String name) throws FuseException {
            xattr("removexattr");
        }

        @Override
        public void destroy() {
            destroyed.incrementAndGet();
        }
    }

    @BeforeEach
    void mount() throws IOException {
        mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        fs = new Probe();
        mount = FuseMount.mount(mnt, fs, MountOptions.builder().fsName("ops").subtype("probe").build());
    }

    @AfterEach
    void unmount() throws IOException {
        mount.close();
    }

    @Test
    void unlinkAndRmdirAnsweredLaterFromAnotherThread() throws Exception {
        Files.writeString(mnt.resolve("a"), "x");
        Files.createDirectories(mnt.resolve("d/e"));
        fs.answerLater = true;
        Files.delete(mnt.resolve("a"));
        assertThat(Files.exists(mnt.resolve("a"))).isFalse();
        assertThatThrownBy(() -> Files.delete(mnt.resolve("d"))).isInstanceOf(java.nio.file.DirectoryNotEmptyException.class);
        Files.delete(mnt.resolve("d/e"));
        Files.delete(mnt.resolve("d"));
        assertThat(Files.exists(mnt.resolve("d"))).isFalse();
        // a failure answered later reaches the caller: the name is gone by the time the file system looks
        Files.writeString(mnt.resolve("b"), "x");
        Path b = mnt.resolve("b");
        fs.answerLater = false;
        fs.unlink(null, FuseFileSystem.ROOT_ID, "b");   // behind the kernel's back: it still has the dentry
        fs.answerLater = true;
        assertThatThrownBy(() -> Files.delete(b)).isInstanceOf(java.nio.file.NoSuchFileException.class);
        assertThat(fs.calls).contains("unlink a answered by later", "rmdir d answered by later", "unlink b answered by later");

        // attributes answered later: the new mode shows, a refusal reaches the caller
        Path c = Files.writeString(mnt.resolve("c"), "x");
        Files.setPosixFilePermissions(c, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(c)).isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        fs.noSetattrNode = ino(c);
        assertThatThrownBy(() -> Files.setLastModifiedTime(c, java.nio.file.attribute.FileTime.fromMillis(0)))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("Operation not permitted");
        assertThat(fs.calls).contains("setattr " + ino(c) + " answered by later");
    }

    private static long ino(Path p) throws IOException {
        return (Long) Files.getAttribute(p, "unix:ino");
    }

    /** Waits up to 10 s for {@code condition} (the kernel sends RELEASE and FORGET asynchronously). */
    private static boolean eventually(BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 1000 && !condition.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }

    /** Every lookup count the file system hands out (lookup, create, mkdir, readdirplus) comes back by FORGET. */
    @Test
    void forgetsGiveBackEveryLookup() throws Exception {
        Files.createDirectory(mnt.resolve("d"));
        for (int i = 0; i < 50; i++) {
            Files.writeString(mnt.resolve("d/f" + i), "x");
        }
        Tools.ok(mnt, "ls", "-l", "d");    // READDIRPLUS entries and LOOKUPs
        Tools.ok(mnt, "rm", "-r", "d");    // unlinked inodes are evicted: the kernel forgets them

        assertThat(fs.given).hasSizeGreaterThanOrEqualTo(51);
        assertThat(eventually(() -> fs.forgotten.equals(fs.given)))
                .as("given %s, forgotten %s", fs.given, fs.forgotten).isTrue();
    }

    @Test
    void flushOnEveryCloseAndItsErrorReachesClose() throws Exception {
        Path good = Files.writeString(mnt.resolve("good"), "g");
        assertThat(fs.calls).contains("flush fh=" + ino(good));   // the memory fs uses the node id as handle
        Path bad = Files.writeString(mnt.resolve("bad"), "b");
        fs.failFlushOf = ino(bad);
        FileChannel ch = FileChannel.open(bad, StandardOpenOption.WRITE);
        ch.write(ByteBuffer.wrap("more".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(ch::close).isInstanceOf(IOException.class).hasMessageContaining("No space left on device");
        assertThat(eventually(() -> fs.calls.contains("release fh=" + fs.failFlushOf))).isTrue();
    }

    /** FUSE_ATOMIC_O_TRUNC: O_TRUNC comes with the OPEN, not as a separate SETATTR of size 0. */
    @Test
    void truncatingOpenIsOneOpen() throws Exception {
        Path f = Files.writeString(mnt.resolve("f"), "long content");
        fs.calls.clear();
        Files.writeString(f, "xy");   // O_WRONLY|O_CREAT|O_TRUNC
        assertThat(Files.readString(f)).isEqualTo("xy");
        assertThat(fs.calls).contains("open node=" + ino(f) + " trunc=true").noneMatch(c -> c.startsWith("setattr"));
    }

    /** FUSE_PARALLEL_DIROPS: two lookups in one directory are in the file system at the same time. */
    @Test
    void lookupsInOneDirectoryRunInParallel() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Probe slow = new Probe() {
            @Override
            public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
                if (name.startsWith("slow")) {
                    most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    for (int i = 0; i < 100 && inside.get() < 2; i++) {   // up to 1 s for the other one
                        LockSupport.parkNanos(10_000_000L);
                    }
                    most.accumulateAndGet(inside.get(), Math::max);
                    inside.decrementAndGet();
                }
                return super.lookup(req, parent, name);
            }
        };
        Path m2 = Files.createDirectory(tmp.resolve("mnt2")).toRealPath();
        try (FuseMount m = FuseMount.mount(m2, slow, MountOptions.builder().build())) {
            Process a = new ProcessBuilder("stat", m2.resolve("slow1").toString()).start();
            Process b = new ProcessBuilder("stat", m2.resolve("slow2").toString()).start();
            assertThat(a.waitFor()).isNotZero();   // ENOENT, after the file system answered
            assertThat(b.waitFor()).isNotZero();
        }
        assertThat(most).hasValue(2);
    }

    @Test
    void fsyncAndFdatasyncAndFsyncdir() throws Exception {
        Path f = Files.writeString(mnt.resolve("f"), "x");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.force(true);    // fsync(2)
            ch.force(false);   // fdatasync(2)
        }
        assertThat(fs.calls).contains("fsync fh=" + ino(f) + " datasync=false", "fsync fh=" + ino(f) + " datasync=true");
        Path dir = Files.createDirectory(mnt.resolve("dir"));
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
        assertThat(fs.calls).contains("fsyncdir fh=" + (1000 + ino(dir)) + " datasync=false");
    }

    @Test
    void releaseAndReleasedirGetTheHandlesOpenGave() throws Exception {
        Path f = Files.writeString(mnt.resolve("f"), "x");
        Path dir = Files.createDirectory(mnt.resolve("dir"));
        try (var s = Files.list(dir)) {
            assertThat(s).isEmpty();
        }
        long dirFh = 1000 + ino(dir);
        assertThat(fs.calls).contains("readdirplus fh=" + dirFh);
        assertThat(eventually(() -> fs.calls.contains("releasedir fh=" + dirFh))).isTrue();
        long fileFh = ino(f);
        assertThat(eventually(() -> fs.calls.contains("release fh=" + fileFh))).isTrue();
    }

    /** Without default_permissions the kernel asks ACCESS for access(2) (and chdir). */
    @Test
    void accessIsDecidedByTheFileSystem() throws Exception {
        Path locked = Files.writeString(mnt.resolve("locked"), "x");
        Path free = Files.writeString(mnt.resolve("free"), "x");
        fs.readOnlyNode = ino(locked);
        assertThat(Files.isWritable(locked)).isFalse();
        assertThat(Files.isReadable(locked)).isTrue();
        assertThat(Files.isWritable(free)).isTrue();
        assertThat(fs.calls).contains("access node=" + ino(locked) + " mask=2", "access node=" + ino(locked) + " mask=4");
    }

    @Test
    void readdirAndReaddirplusBothServeOneListing() throws Exception {
        Path dir = Files.createDirectory(mnt.resolve("big"));
        for (int i = 0; i < 1000; i++) {
            Files.createFile(dir.resolve("entry-with-a-longish-name-" + i));
        }
        fs.calls.clear();
        assertThat(Tools.ok(dir, "sh", "-c", "ls -f | wc -l")).isEqualTo("1002");
        // READDIRPLUS_AUTO: the first batch with attributes, the rest names only (ls -f looks nothing up)
        assertThat(fs.calls).anyMatch(c -> c.startsWith("readdirplus")).anyMatch(c -> c.startsWith("readdir "));
    }

    @Test
    void statfsShowsTheFileSystemsNumbers() throws Exception {
        // MemoryFileSystem.statfs: 2^20 blocks of 4096, half free, 2^20 inodes, names up to 255
        assertThat(Tools.ok(mnt, "stat", "-f", "-c", "%b %f %a %c %l %S", ".")).isEqualTo("1048576 524288 524288 1048576 255 4096");
        assertThat(Files.getFileStore(mnt).getTotalSpace()).isEqualTo(4096L << 20);
    }

    /** ENOSYS (here from UnsupportedOperationException): the kernel answers EOPNOTSUPP and stops asking. */
    @Test
    void xattrsWithoutSupportAreNotSupported() throws Exception {
        Path f = Files.writeString(mnt.resolve("f"), "x");
        UserDefinedFileAttributeView xv = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        for (int round = 0; round < 2; round++) {
            assertThatThrownBy(() -> xv.write("color", StandardCharsets.UTF_8.encode("blue")))
                    .isInstanceOf(FileSystemException.class).hasMessageContaining("Operation not supported");
            assertThatThrownBy(xv::list).isInstanceOf(FileSystemException.class)
                    .hasMessageContaining("Operation not supported");
            assertThatThrownBy(() -> xv.size("color")).isInstanceOf(FileSystemException.class)
                    .hasMessageContaining("Operation not supported");
            assertThatThrownBy(() -> xv.delete("color")).isInstanceOf(FileSystemException.class)
                    .hasMessageContaining("Operation not supported");
        }
        // once per operation, then the kernel remembers (the getxattr may be the kernel's own
        // security.capability check on write)
        assertThat(fs.xattrCalls).containsExactlyInAnyOrder("getxattr", "listxattr", "setxattr", "removexattr");
    }

    /** ENOTSUP answered as such reaches the caller every time (the kernel does not remember it). */
    @Test
    void xattrsAnsweredEnotsupAreNotSupported() throws Exception {
        fs.xattrErrno = Errno.ENOTSUP;
        Path f = Files.writeString(mnt.resolve("f"), "x");
        UserDefinedFileAttributeView xv = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        for (int round = 0; round < 2; round++) {
            assertThatThrownBy(() -> xv.write("color", StandardCharsets.UTF_8.encode("blue")))
                    .isInstanceOf(FileSystemException.class).hasMessageContaining("Operation not supported");
        }
        assertThat(fs.xattrCalls).filteredOn("setxattr"::equals).hasSize(2);
    }

    @Test
    void destroyOnceWhenClosed() throws Exception {
        Files.writeString(mnt.resolve("f"), "x");
        assertThat(fs.destroyed).hasValue(0);
        mount.close();
        assertThat(fs.destroyed).hasValue(1);
        mount.close();
        assertThat(fs.destroyed).hasValue(1);
    }

    @Test
    void destroyOnceWhenUnmountedFromOutside() throws Exception {
        Tools.ok(tmp, "umount", mnt.toString());
        assertThat(mount.awaitUnmount(Duration.ofSeconds(10))).isTrue();
        assertThat(fs.destroyed).hasValue(1);
        mount.close();
        assertThat(fs.destroyed).hasValue(1);
    }
}
