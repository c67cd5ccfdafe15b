package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.Errno;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One share's open handles, with real open files of the posix backend. */
class HandleTableTest {
    @TempDir
    Path dir;
    PosixBackend backend;
    final Object alice = new Object();
    final Object bob = new Object();

    @BeforeEach
    void open() throws Exception {
        backend = PosixBackend.open(dir, false);
    }

    @AfterEach
    void close() {
        backend.close();
    }

    private HandleTable.OpenedFile file(String name) throws FsException {
        OpenFile f = backend.create(RelPath.parse(name), 0644, 2 /* O_RDWR */);
        return new HandleTable.OpenedFile(7, f, 2, 0);
    }

    @Test
    void handlesAreTheirOwnersAndOfTheirType() throws Exception {
        HandleTable table = new HandleTable(10);
        HandleTable.OpenedFile f = file("f");
        long id = table.add(alice, f);
        long dirId = table.add(alice, new HandleTable.OpenedDir(1));
        assertThat(id).isNotZero();
        assertThat(dirId).isNotEqualTo(id);
        assertThat(table.get(alice, id, HandleTable.OpenedFile.class)).isSameAs(f);
        // another owner's handle is as unknown as a number never given out (EBADF, like an fd)
        assertThatThrownBy(() -> table.get(bob, id, HandleTable.OpenedFile.class))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        assertThatThrownBy(() -> table.get(alice, dirId, HandleTable.OpenedFile.class))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.getMessage()).contains("not a OpenedFile"));
        assertThatThrownBy(() -> table.remove(bob, id)).isInstanceOf(FsException.class);
        assertThat(table.remove(alice, id)).isSameAs(f);
        assertThatThrownBy(() -> table.remove(alice, id)).as("removed once only")
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        f.file().close();
    }

    @Test
    void idsAreNeverReused() throws Exception {
        HandleTable table = new HandleTable(10);
        long first = table.add(alice, new HandleTable.OpenedDir(1));
        table.remove(alice, first);
        long second = table.add(alice, new HandleTable.OpenedDir(1));
        assertThat(second).isNotEqualTo(first);
        assertThatThrownBy(() -> table.get(alice, first, HandleTable.OpenedDir.class)).isInstanceOf(FsException.class);
    }

    @Test
    void theBoundIsEmfile() throws Exception {
        HandleTable table = new HandleTable(2);
        table.add(alice, new HandleTable.OpenedDir(1));
        long second = table.add(bob, new HandleTable.OpenedDir(1));
        assertThatThrownBy(() -> table.add(alice, new HandleTable.OpenedDir(1)))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EMFILE));
        table.remove(bob, second);
        assertThat(table.add(alice, new HandleTable.OpenedDir(1))).isPositive();
    }

    @Test
    void anOwnerGoneClosesItsFilesOnly() throws Exception {
        HandleTable table = new HandleTable(10);
        HandleTable.OpenedFile mine = file("a");
        HandleTable.OpenedFile theirs = file("b");
        long id = table.add(alice, mine);
        long other = table.add(bob, theirs);
        table.closeOwnedBy(alice);
        assertThat(table.size()).isEqualTo(1);
        assertThatThrownBy(() -> table.get(alice, id, HandleTable.OpenedFile.class)).isInstanceOf(FsException.class);
        assertThatThrownBy(() -> mine.file().write(0, ByteBuffer.wrap(new byte[] {1})))
                .as("closed by the table").isInstanceOfSatisfying(FsException.class,
                        e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        assertThat(table.get(bob, other, HandleTable.OpenedFile.class).file().write(0, ByteBuffer.wrap(new byte[] {1})))
                .isEqualTo(1);
        table.closeAll();
        assertThat(table.size()).isZero();
        assertThatThrownBy(() -> theirs.file().write(0, ByteBuffer.wrap(new byte[] {1}))).isInstanceOf(FsException.class);
    }
}
