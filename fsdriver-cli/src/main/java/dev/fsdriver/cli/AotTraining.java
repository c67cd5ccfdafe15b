package dev.fsdriver.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * The work {@code fsdriver aot-cache} trains serve and mount on: what a developer's tools do
 * through a mount (a tree walked with stats, small files read, an editor's atomic save, a
 * database's commits, files made, changed, renamed and deleted, a larger file written and read),
 * several rounds so the paths are hot when the caches are written.
 */
final class AotTraining {
    private static final int DIRS = 20;
    private static final int FILES = 25;

    private AotTraining() {}

    static void prepare(Path share) throws IOException {
        for (int d = 0; d < DIRS; d++) {
            Path dir = Files.createDirectories(share.resolve("src/pkg" + d));
            for (int f = 0; f < FILES; f++) {
                Files.writeString(dir.resolve("File" + f + ".java"), ("class File" + f + " { int d = " + d + "; }\n").repeat(20));
            }
        }
        Files.write(share.resolve("data.bin"), new byte[4 << 20]);
    }

    /**
     * A database's commits, as SQLite makes them in its default rollback-journal mode: the
     * journal made, written and synced, the database's pages written at their offsets and synced,
     * the journal deleted and the directory synced (language servers, test runners and build
     * caches keep such databases in the project: issue 17).
     */
    private static void transactions(Path work) throws IOException {
        Path db = work.resolve("t.db");
        Path journal = work.resolve("t.db-journal");
        byte[] page = new byte[4096];
        try (FileChannel d = FileChannel.open(db, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileChannel dir = FileChannel.open(work, StandardOpenOption.READ)) {
            for (int i = 0; i < 40; i++) {
                try (FileChannel j = FileChannel.open(journal, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
                    j.write(ByteBuffer.wrap(page, 0, 512), 0);
                    j.write(ByteBuffer.wrap(page), 512);
                    j.force(false);
                }
                d.read(ByteBuffer.allocate(100), 0);
                page[i % page.length] = (byte) i;
                d.write(ByteBuffer.wrap(page), 0);
                d.write(ByteBuffer.wrap(page), 4096L * (1 + i % 8));
                d.force(false);
                Files.delete(journal);
                dir.force(true);
            }
        }
    }

    static void run(Path mnt) throws IOException {
        for (int round = 0; round < 5; round++) {
            long seen = 0;
            try (Stream<Path> walk = Files.walk(mnt.resolve("src"))) {
                for (Path p : walk.toList()) {
                    seen += Files.readAttributes(p, "unix:mode,size,lastModifiedTime,ino", LinkOption.NOFOLLOW_LINKS).size();
                    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        seen += Files.readAllBytes(p).length;
                    }
                }
            }
            if (seen == 0) {
                throw new IOException("the training mount showed nothing");
            }
            Path work = Files.createDirectories(mnt.resolve("work" + round));
            for (int i = 0; i < 50; i++) {
                Path f = work.resolve("f" + i + ".txt");
                Files.writeString(f, "line " + i + "\n", StandardCharsets.UTF_8);
                Files.writeString(f, "more\n", StandardOpenOption.APPEND);
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
                Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000_000_000L + i));
            }
            // an editor's save: a temporary file, synced, renamed over the original
            Path tmp = work.resolve(".f0.txt.swp");
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                c.write(StandardCharsets.UTF_8.encode("saved\n"));
                c.force(true);
            }
            Files.move(tmp, work.resolve("f0.txt"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            transactions(work);
            Files.createSymbolicLink(work.resolve("link"), Path.of("f1.txt"));
            Files.readSymbolicLink(work.resolve("link"));
            Files.copy(mnt.resolve("data.bin"), work.resolve("data.copy"));
            Files.readAllBytes(work.resolve("data.copy"));
            try (Stream<Path> list = Files.list(work)) {
                for (Path p : list.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(work);
        }
    }
}
