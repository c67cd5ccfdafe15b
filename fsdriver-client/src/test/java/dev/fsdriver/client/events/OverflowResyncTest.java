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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
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
        /** The root's names (files). */
        volatile List<String> rootNames = ROOT_NAMES;
        final AtomicInteger lookups = new AtomicInteger();

        @Override
        public FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) throws FuseException {
            if (nodeId == HELD_DIR && heldDirErrno != 0) {
                throw new FuseException(heldDirErrno);
            }
            return server.getattr(req, nodeId, fh);
        }

        @Override
        public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
            lookups.incrementAndGet();
            return server.lookup(req, parent, name);
        }

        @Override
        public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
            if (nodeId == HELD_DIR && heldDirErrno != 0) {
                throw new FuseException(heldDirErrno);
            }
            List<String> names = rootNames;
            for (int i = (int) offset; i < names.size(); i++) {
                if (!filler.add(names.get(i), 100 + i, FileMode.S_IFREG, i + 1)) {
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

    /**
     * A directory with more names than are kept per directory: its resync compared the listing
     * with what watchers know name by name and read each new name from the server to announce it
     * (in a storm in a 1,000,000-name directory: 632,586 Lookups, and the mount out of heap). Now
     * what the kernel holds is compared (a name gone is announced deleted, one still listed is
     * dropped from the kernel's cache) and nothing is read or announced per listed name.
     */
    @Test
    void aDirectoryOverTheBoundIsResyncedWithoutReadingItsNamesOneByOne() throws Exception {
        fs.watchedNames().maxNames(4);
        server.rootNames = IntStream.range(0, 10).mapToObj(i -> "f" + i).toList();
        Files.writeString(notAMount.resolve("fgone"), "x"); // an injected unlink removes it
        injector = new Injector(notAMount, EventAwareFileSystemTest.NO_WRITES);
        EventApplierTest.Kernel kernel = new EventApplierTest.Kernel();
        EventApplier applier = new EventApplier(fs, view, echo, injector, kernel);
        view.entered(1, "f1", 601, FileMode.S_IFREG | 0644);
        view.entered(1, "fgone", 602, FileMode.S_IFREG | 0644);

        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("").setSequence(1).build());

        assertThat(server.lookups).as("server lookups: only whether the kernel's fgone is still the server's").hasValue(1);
        try (var left = Files.list(notAMount)) {
            assertThat(left.map(f -> f.getFileName().toString()).toList())
                    .as("no injected create, and fgone's injected unlink").isEmpty();
        }
        assertThat(kernel.calls).as("f1 may be another file now").contains("invalEntry 1 f1");
        assertThat(fs.watchedNames().tooBig(1)).isTrue();
        assertThat(fs.watchedNames().of(1)).as("nothing kept of it").isNull();
    }

    /** Back under the bound, the names of its listing are kept again: the next loss is compared with them. */
    @Test
    void aDirectoryBackUnderTheBoundIsTrackedAgain() throws Exception {
        fs.watchedNames().maxNames(4);
        fs.watchedNames().markTooBig(1);
        injector = new Injector(notAMount, EventAwareFileSystemTest.NO_WRITES);
        EventApplier applier = new EventApplier(fs, view, echo, injector, new EventApplierTest.Kernel());
        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("").setSequence(1).build());
        assertThat(fs.watchedNames().tooBig(1)).isFalse();
        assertThat(fs.watchedNames().of(1)).containsOnlyKeys(ROOT_NAMES);
        assertThat(server.lookups).as("no name announced: the loss fell in the big directory's time").hasValue(0);
    }

    /**
     * A loss under a directory that was itself removed and made again during it (a server's storm
     * under it suppresses both): the mount kept the old directory, and {@code ls} of it said
     * ENOENT for as long as the kernel kept the entry. Now the old one is announced deleted and the
     * new one created.
     */
    @Test
    void aDirectoryRemovedAndMadeAgainDuringTheLossIsAnnouncedSo() throws Exception {
        injector = new Injector(notAMount, EventAwareFileSystemTest.NO_WRITES);
        EventApplierTest.Kernel kernel = new EventApplierTest.Kernel();
        EventApplier applier = new EventApplier(fs, view, echo, injector, kernel);
        view.entered(1, "dheld", HELD_DIR, FileMode.S_IFDIR | 0755);
        server.heldDirErrno = Errno.ESTALE; // the old directory is gone; a lookup of the name finds a new one

        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("dheld").setSequence(1).build());

        assertThat(kernel.calls).as("the old directory announced deleted").contains("delete 1 500 dheld");
        assertThat(Files.isDirectory(notAMount.resolve("dheld"))).as("the new one's injected mkdir").isTrue();
    }

    /** Without the directory held, a loss under it drops the kernel's entry of its name (a negative one, maybe). */
    @Test
    void aLossUnderADirectoryNotHeldDropsItsEntry() {
        EventApplierTest.Kernel kernel = new EventApplierTest.Kernel();
        EventApplier applier = new EventApplier(fs, view, echo, null, kernel);
        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("dnew").setSequence(1).build());
        assertThat(kernel.calls).containsExactly("invalEntry 1 dnew");
    }

    /** The same below the loss's top: a held directory still listed in its parent whose own listing says it is gone. */
    @Test
    void aHeldDirectoryRemovedAndMadeAgainBelowTheTopIsAnnouncedSo() throws Exception {
        injector = new Injector(notAMount, EventAwareFileSystemTest.NO_WRITES);
        EventApplierTest.Kernel kernel = new EventApplierTest.Kernel();
        EventApplier applier = new EventApplier(fs, view, echo, injector, kernel);
        server.rootNames = List.of("dheld");
        view.entered(1, "dheld", HELD_DIR, FileMode.S_IFDIR | 0755);
        server.heldDirErrno = Errno.ESTALE;

        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("").setSequence(1).build());

        assertThat(kernel.calls).as("the old directory announced deleted").contains("delete 1 500 dheld");
        assertThat(Files.isDirectory(notAMount.resolve("dheld"))).as("the new one's injected mkdir").isTrue();
    }

    /** Names watchers were told of that the kernel no longer holds: announced deleted when the directory grew past the bound. */
    @Test
    void aDirectoryGrowingPastTheBoundStillAnnouncesTheKnownNamesThatWent() throws Exception {
        fs.watchedNames().maxNames(4);
        fs.watchedNames().createdDir(1);
        fs.watchedNames().added(1, "ftold", 0, 0); // told, and the kernel let go of it
        server.rootNames = IntStream.range(0, 10).mapToObj(i -> "f" + i).toList();
        Files.writeString(notAMount.resolve("ftold"), "x"); // an injected unlink removes it
        injector = new Injector(notAMount, EventAwareFileSystemTest.NO_WRITES);
        EventApplier applier = new EventApplier(fs, view, echo, injector, new EventApplierTest.Kernel());

        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("").setSequence(1).build());

        assertThat(Files.exists(notAMount.resolve("ftold"))).as("ftold's injected unlink").isFalse();
        assertThat(fs.watchedNames().tooBig(1)).isTrue();
    }

    /** Past {@link BigDirResync#MAX_DELETES} gone names (each asks the server), the rest only leave the kernel's cache. */
    @Test
    void aBigDirectoryAnnouncesAtMostItsBudgetOfDeletes() throws Exception {
        fs.watchedNames().maxNames(4);
        server.rootNames = IntStream.range(0, 10).mapToObj(i -> "f" + i).toList();
        int gone = BigDirResync.MAX_DELETES + 100;
        for (int i = 0; i < gone; i++) {
            view.entered(1, "gone" + i, 1000 + i, FileMode.S_IFREG | 0644);
        }
        injector = new Injector(notAMount, EventAwareFileSystemTest.NO_WRITES);
        EventApplierTest.Kernel kernel = new EventApplierTest.Kernel();
        EventApplier applier = new EventApplier(fs, view, echo, injector, kernel);

        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("").setSequence(1).build());

        assertThat(server.lookups).as("one server lookup per announced delete").hasValue(BigDirResync.MAX_DELETES);
        assertThat(kernel.calls.stream().filter(c -> c.startsWith("delete 1 "))).hasSize(BigDirResync.MAX_DELETES);
        assertThat(kernel.calls.stream().filter(c -> c.matches("invalEntry 1 gone\\d+"))).as("the rest").hasSize(100);
    }
}
