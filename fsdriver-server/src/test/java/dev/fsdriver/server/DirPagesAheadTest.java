package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attributes of a listing's next page, read while the current one travels ({@link DirPages}):
 * read on their own thread, and not used once a change was reported or a name in the directory
 * changed since. A directory p of g0..g5 (g{i} holding i bytes), listed two entries a page.
 */
class DirPagesAheadTest {
    @TempDir
    Path dir;
    private Share share;
    private final List<String> attributeThreads = new CopyOnWriteArrayList<>();
    private final AtomicLong sequence = new AtomicLong(1);

    @AfterEach
    void close() {
        if (share != null) {
            share.close();
        }
    }

    private long open() throws Exception {
        Files.createDirectory(dir.resolve("p"));
        for (int i = 0; i < 6; i++) {
            Files.writeString(dir.resolve("p/g" + i), "x".repeat(i));
        }
        Backend posix = PosixBackend.open(dir, false);
        Backend recording = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("attributes")) {
                        attributeThreads.add(Thread.currentThread().getName());
                    }
                    try {
                        return method.invoke(posix, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        share = new Share("s", recording, false);
        share.eventSequence = sequence::get;
        FileAttributes a = share.backend.stat(RelPath.parse("p"));
        return FilesService.entry(share, RelPath.parse("p"), a).getId();
    }

    private ReadDirReply page(long node, long cursor) throws Exception {
        return DirPages.readDir(share, ReadDirRequest.newBuilder().setNode(node).setCursor(cursor)
                .setMaxEntries(2).setPlus(true).build());
    }

    private static long last(ReadDirReply r) {
        return r.getEntries(r.getEntriesCount() - 1).getCursor();
    }

    /** Waits until the next page's attributes are read ahead (so that a change after is one they missed). */
    private void aheadRead(long node, ReadDirReply r) throws Exception {
        share.dirs.find(node, last(r)).ahead().get(DirSnapshots.position(last(r))).attributes().get();
    }

    private static long size(ReadDirReply r, String name) {
        return r.getEntriesList().stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow()
                .getNode().getAttr().getSize();
    }

    @Test
    void theNextPagesAttributesAreReadOnTheirOwnThreadAndUsed() throws Exception {
        long p = open();
        ReadDirReply r = page(p, 0);
        aheadRead(p, r);
        ReadDirReply second = page(p, last(r));
        assertThat(second.getEntriesList()).extracting(DirEntry::getName).containsExactly("g2", "g3");
        assertThat(size(second, "g3")).isEqualTo(3);
        List<String> threads = List.copyOf(attributeThreads); // the third page's are being read meanwhile
        assertThat(threads.get(0)).as("the first page's own").doesNotStartWith("stat-ahead-");
        assertThat(threads.subList(1, threads.size())).as("the later pages'").isNotEmpty()
                .allMatch(t -> t.startsWith("stat-ahead-"));
    }

    @Test
    void aChangeReportedSinceTheyWereReadIsSeen() throws Exception {
        long p = open();
        ReadDirReply r = page(p, 0);
        aheadRead(p, r);
        Files.writeString(dir.resolve("p/g2"), "z".repeat(20)); // the directory's times stay
        sequence.incrementAndGet(); // the server's watcher reported it
        assertThat(size(page(p, last(r)), "g2")).isEqualTo(20);
    }

    @Test
    void aNameRemovedSinceTheyWereReadIsLeftOutThoughNotReportedYet() throws Exception {
        long p = open();
        ReadDirReply r = page(p, 0);
        aheadRead(p, r);
        Files.delete(dir.resolve("p/g3")); // moves p's times; no report
        assertThat(page(p, last(r)).getEntriesList()).extracting(DirEntry::getName).containsExactly("g2");
    }
}
