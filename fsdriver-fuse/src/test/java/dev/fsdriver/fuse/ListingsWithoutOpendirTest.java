package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.examples.MemoryFileSystem;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Directories listed without OPENDIR through the real kernel ({@link FuseFileSystem#listsWithoutOpen}):
 * the first OPENDIR is answered ENOSYS and no other comes, listings go through the file system's own
 * handles ({@link DirCursors}), all given back, and the kernel keeps a listing until the directory
 * changes through the mount or is invalidated, unless the file system says not to.
 */
class ListingsWithoutOpendirTest {
    private static final int FILES = 300; // READDIRPLUS pages of 4 KiB: many requests per listing

    @TempDir
    Path tmp;

    /** A memory file system that lists without OPENDIR and counts its handles and listing calls. */
    static final class Counting extends MemoryFileSystem {
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();
        final AtomicInteger pages = new AtomicInteger();
        final AtomicInteger nextHandle = new AtomicInteger(100);
        final Queue<String> calls = new ConcurrentLinkedQueue<>();
        volatile boolean mayKeep = true;

        @Override
        public boolean listsWithoutOpen() {
            return true;
        }

        @Override
        public boolean mayKeepListing(long nodeId) {
            return mayKeep;
        }

        @Override
        public FuseOpen opendir(FuseRequest req, long nodeId, int flags) {
            opened.incrementAndGet();
            return FuseOpen.of(nextHandle.incrementAndGet());
        }

        @Override
        public void releasedir(FuseRequest req, long nodeId, long fh) {
            released.incrementAndGet();
        }

        @Override
        public synchronized void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler)
                throws FuseException {
            counted("dir", fh, offset);
            super.readdir(req, nodeId, fh, offset, filler);
        }

        @Override
        public synchronized void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
                throws FuseException {
            counted("plus", fh, offset);
            super.readdirplus(req, nodeId, fh, offset, filler);
        }

        private void counted(String kind, long fh, long offset) {
            assertThat(fh).as("a handle of opendir, never the kernel's 0").isGreaterThan(100);
            pages.incrementAndGet();
            calls.add(kind + " fh=" + fh + " off=" + offset);
        }

        /** A file made behind the kernel's back (as another machine would). */
        void makeBehindTheKernel(long dir, String name) throws FuseException {
            mknod(new RepliesAwaitedTest.Req(), dir, name, 0100644, 0, 0);
        }
    }

    private static TreeSet<String> list(Path dir) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        return names;
    }

    private static TreeSet<String> expected(int files, String... more) {
        TreeSet<String> names = new TreeSet<>();
        for (int i = 0; i < files; i++) {
            names.add("f" + i);
        }
        names.addAll(List.of(more));
        return names;
    }

    private static long dirNode(Path dir) throws IOException {
        return (Long) Files.getAttribute(dir, "unix:ino");
    }

    @Test
    void aListingIsKeptUntilTheDirectoryChangesThroughTheMountOrIsInvalidated() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Counting fs = new Counting();
        try (FuseMount mount = FuseMount.mount(mnt, fs, MountOptions.builder().build())) {
            Path d = Files.createDirectory(mnt.resolve("d"));
            for (int i = 0; i < FILES; i++) {
                Files.createFile(d.resolve("f" + i));
            }
            assertThat(list(d)).isEqualTo(expected(FILES));
            int pages = fs.pages.get();
            assertThat(pages).as("one listing in several pages").isGreaterThan(2);
            assertThat(fs.opened.get()).as("the handles the listings took").isPositive();

            assertThat(list(d)).isEqualTo(expected(FILES));
            assertThat(list(d)).isEqualTo(expected(FILES));
            assertThat(fs.pages.get()).as("listed again from the kernel's cache").isEqualTo(pages);

            Files.createFile(d.resolve("made-here"));
            assertThat(list(d)).as("a change through the mount").isEqualTo(expected(FILES, "made-here"));
            int afterCreate = fs.pages.get();
            assertThat(afterCreate).isGreaterThan(pages);

            fs.makeBehindTheKernel(dirNode(d), "made-elsewhere");
            mount.notifier().invalInode(dirNode(d), 0, 0);
            assertThat(list(d)).as("after INVAL_INODE").isEqualTo(expected(FILES, "made-here", "made-elsewhere"));
            assertThat(fs.pages.get()).isGreaterThan(afterCreate);

            assertThat(mount.requestCount(FuseOpcode.OPENDIR)).as("the first, answered ENOSYS, and none after").isEqualTo(1);
            assertThat(mount.requestCount(FuseOpcode.RELEASEDIR)).isZero();
            assertThat(fs.released.get()).as("every listing read to its end gives its handle back")
                    .isEqualTo(fs.opened.get());
        }
    }

    @Test
    void aListingTheFileSystemMayNotKeepIsReadAgainEveryTime() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Counting fs = new Counting();
        fs.mayKeep = false;
        try (FuseMount mount = FuseMount.mount(mnt, fs, MountOptions.builder().build())) {
            Path d = Files.createDirectory(mnt.resolve("d"));
            for (int i = 0; i < FILES; i++) {
                Files.createFile(d.resolve("f" + i));
            }
            assertThat(list(d)).isEqualTo(expected(FILES));
            int pages = fs.pages.get();
            fs.makeBehindTheKernel(dirNode(d), "made-elsewhere");
            assertThat(list(d)).as("no notification needed").isEqualTo(expected(FILES, "made-elsewhere"));
            assertThat(fs.pages.get()).isGreaterThanOrEqualTo(2 * pages);
            assertThat(fs.released.get()).isEqualTo(fs.opened.get());
        }
    }

    /** getdents64 with a small buffer, as musl's readdir (2 KiB): a page's entries taken a few at a time. */
    private static List<String> listSmall(Path dir, int bufferSize) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle open = linker.downcallHandle(linker.defaultLookup().find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle getdents = linker.downcallHandle(linker.defaultLookup().find("getdents64").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        List<String> names = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) open.invokeExact(arena.allocateFrom(dir.toString()), 0200000 /* O_RDONLY|O_DIRECTORY */);
            assertThat(fd).isNotNegative();
            MemorySegment buf = arena.allocate(bufferSize, 8);
            try {
                long n;
                while ((n = (long) getdents.invokeExact(fd, buf, (long) bufferSize)) > 0) {
                    for (long at = 0; at < n; ) {
                        int reclen = Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + 16));
                        String name = buf.asSlice(at + 19).getString(0);
                        if (!name.equals(".") && !name.equals("..")) {
                            names.add(name);
                        }
                        at += reclen;
                    }
                }
                assertThat(n).as("getdents64").isZero();
            } finally {
                int closed = (int) close.invokeExact(fd);
            }
        }
        return names;
    }

    @Test
    void aProgramReadingAListingInSmallPiecesKeepsOneHandle() throws Throwable {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Counting fs = new Counting();
        fs.mayKeep = false; // every listing reaches the file system
        try (FuseMount mount = FuseMount.mount(mnt, fs, MountOptions.builder().build())) {
            Path d = Files.createDirectory(mnt.resolve("d"));
            for (int i = 0; i < FILES; i++) {
                Files.createFile(d.resolve("f" + i));
            }
            int openedBefore = fs.opened.get();
            int pagesBefore = fs.pages.get();
            List<String> names = listSmall(d, 1024);
            assertThat(names).hasSize(FILES).doesNotHaveDuplicates();
            assertThat(new TreeSet<>(names)).isEqualTo(expected(FILES));
            // a 4 KiB page holds about 120 of these names (3 requests would do); 1 KiB takes about 30,
            // so each request after the first goes on from the middle of the page before
            assertThat(fs.pages.get() - pagesBefore).as("requests").isGreaterThanOrEqualTo(6);
            assertThat(fs.opened.get() - openedBefore).as("one handle for the whole listing " + fs.calls).isEqualTo(1);
            assertThat(fs.released.get()).isEqualTo(fs.opened.get());
        }
    }

    @Test
    void interleavedListingsOfOneDirectoryEachGetEveryNameOnce() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
        Counting fs = new Counting();
        fs.mayKeep = false; // both go to the file system, each with its own handle
        try (FuseMount mount = FuseMount.mount(mnt, fs, MountOptions.builder().build())) {
            Path d = Files.createDirectory(mnt.resolve("d"));
            for (int i = 0; i < FILES; i++) {
                Files.createFile(d.resolve("f" + i));
            }
            int openedBefore = fs.opened.get();
            List<String> a = new ArrayList<>();
            List<String> b = new ArrayList<>();
            try (DirectoryStream<Path> sa = Files.newDirectoryStream(d); DirectoryStream<Path> sb = Files.newDirectoryStream(d)) {
                Iterator<Path> ia = sa.iterator();
                Iterator<Path> ib = sb.iterator();
                while (ia.hasNext() || ib.hasNext()) {
                    for (int k = 0; k < 7 && ia.hasNext(); k++) {
                        a.add(ia.next().getFileName().toString());
                    }
                    for (int k = 0; k < 3 && ib.hasNext(); k++) {
                        b.add(ib.next().getFileName().toString());
                    }
                }
            }
            assertThat(a).hasSize(FILES).doesNotHaveDuplicates();
            assertThat(new TreeSet<>(a)).isEqualTo(expected(FILES));
            assertThat(b).hasSize(FILES).doesNotHaveDuplicates();
            assertThat(new TreeSet<>(b)).isEqualTo(expected(FILES));
            assertThat(fs.opened.get() - openedBefore).as("a handle each " + fs.calls).isEqualTo(2);
            // The second may end from the kernel's cache, read in the moment between the first's
            // end and its INVAL_INODE: its handle then waits for DirCursors' idle sweep.
            assertThat(fs.released.get()).isBetween(fs.opened.get() - 1, fs.opened.get());
        }
    }
}
