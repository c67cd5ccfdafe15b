package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.BlockingFileSystem;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.proto.v1.ChangeEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an overflow resync records as told to watchers ({@link KnownNames#replace}), without a
 * kernel: the injector works on a plain directory, where a name that exists already makes the
 * injected create fail (EEXIST) as a name a program looked up meanwhile does on the mount.
 */
class OverflowResyncTest {
    /** The server's root lists these (files). */
    private static final List<String> ROOT_NAMES = List.of("refused", "told");
    /** A directory the kernel holds that the server's root no longer lists. */
    private static final long HELD_DIR = 500;

    /** EventApplierTest's server, with a root listing. */
    static final class Listing implements BlockingFileSystem {
        final EventApplierTest.Server server = new EventApplierTest.Server();
        /** What GetAttr of {@link #HELD_DIR} fails with (0: answers). */
        volatile int heldDirErrno;

        @Override
        public FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) throws FuseException {
            if (nodeId == HELD_DIR && heldDirErrno != 0) {
                throw new FuseException(heldDirErrno);
            }
            return server.getattr(req, nodeId, fh);
        }

        @Override
        public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
            return server.lookup(req, parent, name);
        }

        @Override
        public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) {
            for (int i = (int) offset; i < ROOT_NAMES.size(); i++) {
                if (!filler.add(ROOT_NAMES.get(i), 100 + i, FileMode.S_IFREG, i + 1)) {
                    return;
                }
            }
        }
    }

    @TempDir
    Path notAMount;

    final KernelView view = new KernelView();
    final EchoFilter echo = new EchoFilter();
    final Listing server = new Listing();
    final EventAwareFileSystem fs = new EventAwareFileSystem(server, OwnReadsOver.of(server), view, echo,
            new CachePolicy(3_600_000_000_000L, 1_000_000_000L), null);
    Injector injector;

    @AfterEach
    void close() {
        if (injector != null) {
            injector.close();
        }
    }

    /**
     * KnownNames.replace took every listed name as told, also one whose injected create was
     * refused: watchers never saw it, and no later resync announced it.
     */
    @Test
    void aNameWhoseInjectedCreateFailedIsNotRecordedAsTold() throws Exception {
        Files.writeString(notAMount.resolve("refused"), "x"); // mknod: EEXIST on every try
        injector = new Injector(notAMount, EventAwareFileSystemTest.NO_WRITES);
        EventApplier applier = new EventApplier(fs, view, echo, injector, new EventApplierTest.Kernel());
        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("").setSequence(1).build());
        assertThat(Files.exists(notAMount.resolve("told"))).as("the injected create of 'told'").isTrue();
        assertThat(fs.watchedNames().of(1)).containsOnlyKeys("told");
        assertThat(fs.watchedNames().trusted(1, Long.MAX_VALUE)).containsOnlyKeys("told");
    }

    /**
     * A held directory missing from its parent's listing, that no listing of the pass found
     * elsewhere, is announced deleted only when the server says the node is gone (ENOENT,
     * ESTALE): a GetAttr that failed otherwise (server unreachable) said nothing, and an injected
     * rmdir would unlink the working directory of a process inside on a guess.
     */
    @Test
    void aHeldDirectoryIsAnnouncedDeletedOnlyWhenTheServerSaysItIsGone() throws Exception {
        Files.createDirectories(notAMount.resolve("dheld")); // an injected rmdir removes it
        injector = new Injector(notAMount, EventAwareFileSystemTest.NO_WRITES);
        EventApplierTest.Kernel kernel = new EventApplierTest.Kernel();
        EventApplier applier = new EventApplier(fs, view, echo, injector, kernel);
        view.entered(1, "dheld", HELD_DIR, FileMode.S_IFDIR | 0755);

        server.heldDirErrno = Errno.EIO;
        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("").setSequence(1).build());
        assertThat(Files.isDirectory(notAMount.resolve("dheld"))).as("kept: the server could not say").isTrue();
        assertThat(kernel.calls).as("kept: the server could not say").doesNotContain("delete 1 500 dheld");

        view.entered(1, "dheld", HELD_DIR, FileMode.S_IFDIR | 0755);
        server.heldDirErrno = Errno.ESTALE;
        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("").setSequence(2).build());
        // announced: injected (an rmdir here) or, where that fails, told to the kernel (notify_delete)
        assertThat(!Files.exists(notAMount.resolve("dheld")) || kernel.calls.contains("delete 1 500 dheld"))
                .as("announced deleted: the server has no such node; kernel calls " + kernel.calls).isTrue();
    }
}
