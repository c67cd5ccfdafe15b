package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.OpenFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node ids follow renames made on the server's side, reported by the watcher (issue 9 item 3):
 * an exchange arrives as RENAMED a -> b then RENAMED b -> a, and each node must end where its
 * file is, with its subtree.
 */
class ShareExternalRenameTest {
    @TempDir
    Path dir;
    private Share share;
    private PosixBackend other; // "a program on the server": renames behind the share's back

    @BeforeEach
    void open() throws Exception {
        share = new Share("s", PosixBackend.open(dir, false), false);
        other = PosixBackend.open(dir, false);
    }

    @AfterEach
    void close() {
        share.close();
        other.close();
    }

    private static RelPath p(String s) throws FsException {
        return RelPath.parse(s);
    }

    private long node(String path) throws FsException {
        FileAttributes a = share.backend.stat(p(path));
        return share.nodes.register(p(path), a.ino(), a.isDirectory());
    }

    @Test
    void anExchangeOfDirectoriesMovesEachSubtreeWithItsNode() throws Exception {
        Files.createDirectories(dir.resolve("x1/P/Q"));
        Files.createDirectories(dir.resolve("x1/R/T"));
        Files.writeString(dir.resolve("x1/P/Q/f"), "F");
        Files.writeString(dir.resolve("x1/R/T/g"), "G");
        long pd = node("x1/P");
        long q = node("x1/P/Q");
        long f = node("x1/P/Q/f");
        long rd = node("x1/R");
        long g = node("x1/R/T/g");

        other.rename(p("x1/P"), p("x1/R"), OpenFlags.RENAME_EXCHANGE);
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("x1/P"), p("x1/R"), true));
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("x1/R"), p("x1/P"), true));
        assertThat(share.nodes.path(pd)).isEqualTo(p("x1/R"));
        assertThat(share.nodes.path(q)).isEqualTo(p("x1/R/Q"));
        assertThat(share.nodes.path(f)).isEqualTo(p("x1/R/Q/f"));
        assertThat(share.nodes.path(rd)).isEqualTo(p("x1/P"));
        assertThat(share.nodes.path(g)).isEqualTo(p("x1/P/T/g"));

        other.rename(p("x1/R/Q/f"), p("x1/P/T/g"), OpenFlags.RENAME_EXCHANGE);
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("x1/R/Q/f"), p("x1/P/T/g"), false));
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("x1/P/T/g"), p("x1/R/Q/f"), false));
        assertThat(share.nodes.path(f)).isEqualTo(p("x1/P/T/g"));
        assertThat(share.nodes.path(g)).isEqualTo(p("x1/R/Q/f"));
        assertThat(Files.readString(dir.resolve(share.nodes.path(g).toString()))).isEqualTo("G");

        // a plain rename after all that still follows
        other.rename(p("x1/R"), p("x1/S"), OpenFlags.RENAME_NOREPLACE);
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("x1/R"), p("x1/S"), true));
        assertThat(share.nodes.path(g)).isEqualTo(p("x1/S/Q/f"));
        assertThat(share.nodes.path(pd)).isEqualTo(p("x1/S"));
    }

    /**
     * A hard link renamed on the server's side and looked up at its new name before the event
     * came: the event found both names on one node and took the rename for a no-op, so the node
     * kept the old name first and every call through it failed ENOENT (ConcurrentStress seeds
     * 2, 3, 8: names listed on the mount that could not be read for 30 s).
     */
    @Test
    void aHardLinkFoundAtItsNewNameBeforeTheRenameEventLosesItsOldName() throws Exception {
        Files.writeString(dir.resolve("a"), "A");
        Files.createLink(dir.resolve("b"), dir.resolve("a"));
        Files.createDirectories(dir.resolve("d"));
        long n = node("a");
        assertThat(node("b")).isEqualTo(n);

        other.rename(p("a"), p("d/x"), 0);
        assertThat(node("d/x")).isEqualTo(n);
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("a"), p("d/x"), false));
        assertThat(share.nodes.inoAt(p("a"))).isZero();
        assertThat(share.nodes.path(n)).isIn(p("b"), p("d/x"));
        Files.delete(dir.resolve("b"));
        share.followExternalChange(new Change(Change.Kind.DELETED, p("b"), null, false));
        assertThat(share.nodes.path(n)).isEqualTo(p("d/x"));
    }

    /**
     * Two directories exchanged on the server's side and looked up at their new names before
     * the events came: each got a second node (a directory never took the node known by its
     * inode number), so the kernel held two inodes for one directory and the mount stopped
     * showing its contents (ConcurrentStress seed 8, steps 133 and 142).
     */
    @Test
    void exchangedDirectoriesFoundAtTheirNewNamesBeforeTheEventsKeepTheirNodes() throws Exception {
        Files.createDirectories(dir.resolve("P/Q"));
        Files.createDirectories(dir.resolve("R"));
        Files.writeString(dir.resolve("P/Q/f"), "F");
        Files.writeString(dir.resolve("R/g"), "G");
        long pd = node("P");
        long q = node("P/Q");
        long f = node("P/Q/f");
        long rd = node("R");
        long g = node("R/g");

        other.rename(p("P"), p("R"), OpenFlags.RENAME_EXCHANGE);
        assertThat(node("P")).isEqualTo(rd);
        assertThat(node("P/g")).isEqualTo(g);
        assertThat(node("R")).isEqualTo(pd);
        assertThat(node("R/Q")).isEqualTo(q);
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("P"), p("R"), true));
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("R"), p("P"), true));
        assertThat(share.nodes.path(pd)).isEqualTo(p("R"));
        assertThat(share.nodes.path(q)).isEqualTo(p("R/Q"));
        assertThat(share.nodes.path(f)).isEqualTo(p("R/Q/f"));
        assertThat(share.nodes.path(rd)).isEqualTo(p("P"));
        assertThat(share.nodes.path(g)).isEqualTo(p("P/g"));

        // exchanged back, only one side looked up before the events: the other is found later
        other.rename(p("P"), p("R"), OpenFlags.RENAME_EXCHANGE);
        assertThat(node("R")).isEqualTo(rd);
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("P"), p("R"), true));
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("R"), p("P"), true));
        assertThat(node("P")).isEqualTo(pd);
        assertThat(share.nodes.path(q)).isEqualTo(p("P/Q"));
        assertThat(share.nodes.path(f)).isEqualTo(p("P/Q/f"));
        assertThat(share.nodes.path(g)).isEqualTo(p("R/g"));
        assertThat(node("P/Q/f")).isEqualTo(f);
    }

    /**
     * A file renamed on the server's side, then its directory renamed before the file's event was
     * followed: the file's event found it at neither name and was skipped, so the node kept its
     * old name for good; for a hard link that name came first, and every call through the node
     * failed ENOENT (ConcurrentStress seed 8, step 249: three names listed, none readable).
     */
    @Test
    void aFileRenamedThenItsDirectoryRenamedBeforeTheEventsFollowsBoth() throws Exception {
        Files.writeString(dir.resolve("a"), "A");
        Files.createLink(dir.resolve("b"), dir.resolve("a"));
        Files.createDirectories(dir.resolve("d"));
        Files.writeString(dir.resolve("s"), "S");
        long n = node("a");
        assertThat(node("b")).isEqualTo(n);
        long single = node("s");
        node("d");

        other.rename(p("a"), p("d/x"), 0);
        other.rename(p("s"), p("d/t"), 0);
        other.rename(p("d"), p("e"), 0);
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("a"), p("d/x"), false));
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("s"), p("d/t"), false));
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("d"), p("e"), true));
        assertThat(share.nodes.inoAt(p("a"))).isZero();
        assertThat(dir.resolve(share.nodes.path(n).toString())).hasContent("A");
        assertThat(share.nodes.path(single)).isEqualTo(p("e/t"));
    }

    /**
     * A hard link renamed on the server's side over a file the table knew, then moved on, all
     * before the events were followed: the first event found the new name holding neither file
     * and the table's file there, and was skipped; the second moved the replaced file's node on.
     * The link kept its old name first and every open through it failed ENOENT, for good
     * (ConcurrentStress seed 43, shrunk: two names listed, neither readable).
     */
    @Test
    void aHardLinkRenamedOverAKnownFileThenMovedOnLosesItsOldName() throws Exception {
        Files.writeString(dir.resolve("a"), "A");
        Files.createLink(dir.resolve("b"), dir.resolve("a"));
        Files.writeString(dir.resolve("t"), "T");
        Files.createDirectories(dir.resolve("d"));
        long n = node("b");
        assertThat(node("a")).isEqualTo(n);
        long replaced = node("t");

        other.rename(p("b"), p("t"), 0);
        other.rename(p("t"), p("d/x"), 0);
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("b"), p("t"), false));
        share.followExternalChange(new Change(Change.Kind.RENAMED, p("t"), p("d/x"), false));
        assertThat(node("d/x")).isEqualTo(n);
        assertThat(share.nodes.inoAt(p("b"))).isZero();
        assertThat(dir.resolve(share.nodes.path(n).toString())).hasContent("A");
        assertThat(share.nodes.pathOrNull(replaced)).isNull();
    }
}
