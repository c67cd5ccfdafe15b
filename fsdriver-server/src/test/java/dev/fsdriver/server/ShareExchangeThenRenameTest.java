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
 * A RENAME_EXCHANGE on the server's side followed at once by more renames, all done on disk
 * before the watcher's events are followed (ConcurrentStress seeds 1, 3, 4, 13, 18: the mount
 * did not converge after such sequences). The follower looks at the disk as it is now, where
 * neither half of the exchange shows as one: it took it for a plain rename and dropped the
 * other directory's node with its subtree, which the client's kernel still held.
 */
class ShareExchangeThenRenameTest {
    @TempDir
    Path dir;
    private Share share;
    private PosixBackend other; // "a program on the server": renames behind the share's back

    private long pd;
    private long q;
    private long f;
    private long rd;
    private long g;

    @BeforeEach
    void open() throws Exception {
        share = new Share("s", PosixBackend.open(dir, false), false);
        other = PosixBackend.open(dir, false);
        Files.createDirectories(dir.resolve("P/Q"));
        Files.createDirectories(dir.resolve("R"));
        Files.writeString(dir.resolve("P/Q/f"), "F");
        Files.writeString(dir.resolve("R/g"), "G");
        pd = node("P");
        q = node("P/Q");
        f = node("P/Q/f");
        rd = node("R");
        g = node("R/g");
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

    private void follow(String from, String to) throws FsException {
        share.followExternalChange(new Change(Change.Kind.RENAMED, p(from), p(to), true));
    }

    @Test
    void anExchangeThenTheSecondNameRenamedOnKeepsBothSubtrees() throws Exception {
        other.rename(p("P"), p("R"), OpenFlags.RENAME_EXCHANGE);
        other.rename(p("R"), p("S"), 0); // P's directory, now at R, moves on
        follow("P", "R");
        follow("R", "P");
        follow("R", "S");
        assertThat(share.nodes.path(pd)).isEqualTo(p("S"));
        assertThat(share.nodes.path(q)).isEqualTo(p("S/Q"));
        assertThat(share.nodes.path(f)).isEqualTo(p("S/Q/f"));
        assertThat(share.nodes.path(rd)).isEqualTo(p("P"));
        assertThat(share.nodes.path(g)).isEqualTo(p("P/g"));
        assertThat(node("S/Q/f")).isEqualTo(f);
        assertThat(node("P/g")).isEqualTo(g);
    }

    @Test
    void anExchangeThenTheFirstNameRenamedOnKeepsBothSubtrees() throws Exception {
        other.rename(p("P"), p("R"), OpenFlags.RENAME_EXCHANGE);
        other.rename(p("P"), p("S"), 0); // R's directory, now at P, moves on
        follow("P", "R");
        follow("R", "P");
        follow("P", "S");
        assertThat(share.nodes.path(pd)).isEqualTo(p("R"));
        assertThat(share.nodes.path(q)).isEqualTo(p("R/Q"));
        assertThat(share.nodes.path(f)).isEqualTo(p("R/Q/f"));
        // R's directory is where it went, at the latest when a client finds it there
        assertThat(node("S")).isEqualTo(rd);
        assertThat(share.nodes.path(g)).isEqualTo(p("S/g"));
        assertThat(node("S/g")).isEqualTo(g);
    }

    @Test
    void anExchangeThenOneDirectoryMovedIntoTheOtherKeepsBothSubtrees() throws Exception {
        // seed 3: exchange of d4/d4 with f4, then d4 renamed to f4/f4
        other.rename(p("P"), p("R"), OpenFlags.RENAME_EXCHANGE);
        other.rename(p("P"), p("R/P2"), 0);
        follow("P", "R");
        follow("R", "P");
        follow("P", "R/P2");
        assertThat(share.nodes.path(pd)).isEqualTo(p("R"));
        assertThat(share.nodes.path(f)).isEqualTo(p("R/Q/f"));
        assertThat(node("R/P2")).isEqualTo(rd);
        assertThat(share.nodes.path(g)).isEqualTo(p("R/P2/g"));
    }

    /**
     * Before the events are followed, the node's path holds the other directory: its attributes
     * by node were the other one's (a client's kernel kept them, long cached, for the node).
     */
    @Test
    void theAttributesOfANodeWhosePathHoldsAnotherFileAreRefused() throws Exception {
        other.rename(p("P"), p("R"), OpenFlags.RENAME_EXCHANGE); // P's node's path "P" holds R's directory now
        FsException refused = org.assertj.core.api.Assertions.catchThrowableOfType(FsException.class, () -> share.statNode(pd));
        assertThat(refused).isNotNull();
        assertThat(refused.errno()).isEqualTo(dev.fsdriver.common.Errno.ESTALE);
        follow("P", "R");
        follow("R", "P");
        assertThat(share.statNode(pd).ino()).isEqualTo(share.backend.stat(p("R")).ino());
    }
}
