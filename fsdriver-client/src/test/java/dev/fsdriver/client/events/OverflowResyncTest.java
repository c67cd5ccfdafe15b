package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
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

    /** EventApplierTest's server, with a root listing. */
    static final class Listing implements FuseFileSystem {
        final EventApplierTest.Server server = new EventApplierTest.Server();

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
    final EventAwareFileSystem fs = new EventAwareFileSystem(new Listing(), view, echo,
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
        injector = new Injector(notAMount);
        EventApplier applier = new EventApplier(fs, view, echo, injector, new EventApplierTest.Kernel());
        applier.apply(ChangeEvent.newBuilder().setKind(ChangeEvent.Kind.OVERFLOW).setPath("").setSequence(1).build());
        assertThat(Files.exists(notAMount.resolve("told"))).as("the injected create of 'told'").isTrue();
        assertThat(fs.watchedNames().of(1)).containsOnlyKeys("told");
        assertThat(fs.watchedNames().trusted(1, Long.MAX_VALUE)).containsOnlyKeys("told");
    }
}
