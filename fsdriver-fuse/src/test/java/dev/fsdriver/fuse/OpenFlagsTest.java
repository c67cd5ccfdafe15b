package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.fuse.examples.MemoryFileSystem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FOPEN_* flags in open and opendir replies, each by the kernel behaviour it switches: a memory
 * file system answers chosen flags per node (node id = inode number) and counts what reaches it.
 */
class OpenFlagsTest {
    @TempDir
    Path tmp;

    static class Flagged extends MemoryFileSystem {
        final Map<Long, Integer> flags = new ConcurrentHashMap<>();
        final Map<Long, AtomicInteger> reads = new ConcurrentHashMap<>();
        final Map<Long, AtomicInteger> listings = new ConcurrentHashMap<>();
        final Map<Long, AtomicInteger> writersInside = new ConcurrentHashMap<>();
        final Map<Long, Integer> mostWritersInside = new ConcurrentHashMap<>();

        @Override
        public FuseOpen open(FuseRequest req, long nodeId, int openFlags) throws FuseException {
            super.open(req, nodeId, openFlags);
            return new FuseOpen(nodeId, flags.getOrDefault(nodeId, 0));
        }

        @Override
        public FuseOpen opendir(FuseRequest req, long nodeId, int openFlags) {
            return new FuseOpen(0, flags.getOrDefault(nodeId, 0));
        }

        @Override
        public int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst)
                throws FuseException {
            reads.computeIfAbsent(nodeId, k -> new AtomicInteger()).incrementAndGet();
            return super.read(req, nodeId, fh, offset, size, dst);
        }

        @Override
        public void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
                throws FuseException {
            listings.computeIfAbsent(nodeId, k -> new AtomicInteger()).incrementAndGet();
            super.readdirplus(req, nodeId, fh, offset, filler);
        }

        @Override
        public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
            listings.computeIfAbsent(nodeId, k -> new AtomicInteger()).incrementAndGet();
            super.readdir(req, nodeId, fh, offset, filler);
        }

        /** Writes of watched nodes wait up to 1 s for a second writer, outside the file system's lock. */
        @Override
        public int write(FuseRequest req, long nodeId, long fh, long offset, ByteBuffer src, int writeFlags)
                throws FuseException {
            AtomicInteger inside = writersInside.get(nodeId);
            if (inside != null) {
                int now = inside.incrementAndGet();
                mostWritersInside.merge(nodeId, now, Math::max);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                while (inside.get() < 2 && System.nanoTime() < end) {
                    LockSupport.parkNanos(1_000_000);
                }
                mostWritersInside.merge(nodeId, inside.get(), Math::max);
                int n = super.write(req, nodeId, fh, offset, src, writeFlags);
                inside.decrementAndGet();
                return n;
            }
            return super.write(req, nodeId, fh, offset, src, writeFlags);
        }
    }

    private static long ino(Path p) throws IOException {
        return (Long) Files.getAttribute(p, "unix:ino");
    }

    private static int reads(Flagged fs, Path p) throws IOException {
        AtomicInteger n = fs.reads.get(ino(p));
        return n == null ? 0 : n.get();
    }

    @Test
    void keepCacheServesRereadsFromThePageCacheAndDirectIoBypassesIt() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Flagged fs = new Flagged();
        try (FuseMount m = FuseMount.mount(mnt, fs, MountOptions.builder().build())) {
            Path cached = Files.writeString(mnt.resolve("cached"), "cached data");
            Path direct = Files.writeString(mnt.resolve("direct"), "direct data");
            fs.flags.put(ino(cached), FuseOpen.FOPEN_KEEP_CACHE);
            fs.flags.put(ino(direct), FuseOpen.FOPEN_KEEP_CACHE | FuseOpen.FOPEN_DIRECT_IO);

            assertThat(Files.readString(cached)).isEqualTo("cached data");
            int afterFirst = reads(fs, cached);
            assertThat(Files.readString(cached)).isEqualTo("cached data");
            assertThat(reads(fs, cached)).as("second read from the page cache").isEqualTo(afterFirst);

            assertThat(Files.readString(direct)).isEqualTo("direct data");
            int directFirst = reads(fs, direct);
            assertThat(directFirst).isPositive();
            assertThat(Files.readString(direct)).isEqualTo("direct data");
            assertThat(reads(fs, direct)).as("every read reaches the file system").isGreaterThan(directFirst);
        }
    }

    /** MountOptions.directIo: every file of the mount as if opened with FOPEN_DIRECT_IO. */
    @Test
    void directIoMountOptionBypassesThePageCacheForAllFiles() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Flagged fs = new Flagged();
        try (FuseMount m = FuseMount.mount(mnt, fs, MountOptions.builder().directIo(true).build())) {
            Path f = Files.writeString(mnt.resolve("f"), "data");
            fs.flags.put(ino(f), FuseOpen.FOPEN_KEEP_CACHE);
            assertThat(Files.readString(f)).isEqualTo("data");
            int first = reads(fs, f);
            assertThat(Files.readString(f)).isEqualTo("data");
            assertThat(reads(fs, f)).isGreaterThan(first);
        }
    }

    @Test
    void nonseekableRefusesPositionedIo() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Flagged fs = new Flagged();
        try (FuseMount m = FuseMount.mount(mnt, fs, MountOptions.builder().build())) {
            Path stream = Files.writeString(mnt.resolve("stream"), "0123456789");
            Path plain = Files.writeString(mnt.resolve("plain"), "0123456789");
            fs.flags.put(ino(stream), FuseOpen.FOPEN_NONSEEKABLE);
            try (FileChannel ch = FileChannel.open(stream, StandardOpenOption.READ)) {
                assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(4), 5)).hasMessageContaining("Illegal seek");
                assertThatThrownBy(() -> ch.position(5)).hasMessageContaining("Illegal seek");
                ByteBuffer b = ByteBuffer.allocate(4);
                assertThat(ch.read(b)).isEqualTo(4);   // reading on from where it is still works
            }
            try (FileChannel ch = FileChannel.open(plain, StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.allocate(4);
                assertThat(ch.read(b, 5)).isEqualTo(4);
            }
        }
    }

    /** FOPEN_CACHE_DIR (+ KEEP_CACHE on opendir): the kernel keeps the listing and lists again without asking. */
    @Test
    void cacheDirKeepsTheListingInTheKernel() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Flagged fs = new Flagged();
        try (FuseMount m = FuseMount.mount(mnt, fs, MountOptions.builder().build())) {
            Path cachedDir = Files.createDirectory(mnt.resolve("cached"));
            Path plainDir = Files.createDirectory(mnt.resolve("plain"));
            for (int i = 0; i < 20; i++) {
                Files.createFile(cachedDir.resolve("c" + i));
                Files.createFile(plainDir.resolve("p" + i));
            }
            fs.flags.put(ino(cachedDir), FuseOpen.FOPEN_CACHE_DIR | FuseOpen.FOPEN_KEEP_CACHE);
            assertThat(Tools.ok(cachedDir, "sh", "-c", "ls | wc -l")).isEqualTo("20");
            assertThat(Tools.ok(plainDir, "sh", "-c", "ls | wc -l")).isEqualTo("20");
            int cachedFirst = fs.listings.get(ino(cachedDir)).get();
            int plainFirst = fs.listings.get(ino(plainDir)).get();

            assertThat(Tools.ok(cachedDir, "sh", "-c", "ls | wc -l")).isEqualTo("20");
            assertThat(Tools.ok(plainDir, "sh", "-c", "ls | wc -l")).isEqualTo("20");
            assertThat(fs.listings.get(ino(cachedDir)).get()).as("served from the kernel's cache").isEqualTo(cachedFirst);
            assertThat(fs.listings.get(ino(plainDir)).get()).isGreaterThan(plainFirst);
        }
    }

    /**
     * FOPEN_PARALLEL_DIRECT_WRITES: two direct writes inside the file are in the file system at
     * once; without it the kernel serialises them on the inode lock.
     */
    @Test
    void parallelDirectWritesReachTheFileSystemTogether() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Flagged fs = new Flagged();
        try (FuseMount m = FuseMount.mount(mnt, fs, MountOptions.builder().threads(4).build())) {
            Path parallel = Files.write(mnt.resolve("parallel"), new byte[65536]);
            Path serial = Files.write(mnt.resolve("serial"), new byte[65536]);
            fs.flags.put(ino(parallel), FuseOpen.FOPEN_DIRECT_IO | FuseOpen.FOPEN_PARALLEL_DIRECT_WRITES);
            fs.flags.put(ino(serial), FuseOpen.FOPEN_DIRECT_IO);
            fs.writersInside.put(ino(parallel), new AtomicInteger());
            fs.writersInside.put(ino(serial), new AtomicInteger());

            twoWritersAtOnce(parallel);
            twoWritersAtOnce(serial);

            assertThat(fs.mostWritersInside.get(ino(parallel))).isEqualTo(2);
            assertThat(fs.mostWritersInside.get(ino(serial))).isEqualTo(1);
        }
    }

    /** Two threads of their own (the common pool may have one on this 2-core machine). */
    private static void twoWritersAtOnce(Path f) throws Exception {
        CompletableFuture<?>[] writers = new CompletableFuture<?>[2];
        for (int i = 0; i < 2; i++) {
            long at = i * 8192L;
            CompletableFuture<Void> done = new CompletableFuture<>();
            writers[i] = done;
            Thread.ofPlatform().start(() -> {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), at);
                    done.complete(null);
                } catch (IOException | RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
        }
        CompletableFuture.allOf(writers).get(30, TimeUnit.SECONDS);
    }
}
