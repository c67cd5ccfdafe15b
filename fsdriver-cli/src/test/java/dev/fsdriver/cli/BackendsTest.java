package dev.fsdriver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.BackendProvider;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The backends as the CLI finds them: ServiceLoader providers, one per OS. */
class BackendsTest {
    @TempDir
    Path tmp;

    @Test
    void theBuildHasAProviderPerOs() {
        assertThat(BackendProvider.all()).extracting(BackendProvider::name).containsExactlyInAnyOrder("posix", "windows");
        assertThat(BackendProvider.named("windows").isSupported()).isEqualTo(Backends.isWindows());
        assertThatThrownBy(() -> BackendProvider.named("nfs")).hasMessageContaining("no backend called nfs");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void linuxGetsThePosixBackend() throws Exception {
        assertThat(BackendProvider.forThisSystem().name()).isEqualTo("posix");
        Files.writeString(tmp.resolve("f"), "x");
        try (Backend b = Backends.open(tmp, true)) {
            assertThat(b.getClass().getSimpleName()).isEqualTo("PosixBackend");
        }
    }

    /** Each provider checks its own options: posix has none, windows drvfs-like ones (checked on any OS). */
    @Test
    void providersCheckTheirOwnOptions() {
        BackendProvider posix = BackendProvider.named("posix");
        posix.checkOptions(Map.of());
        assertThatThrownBy(() -> posix.checkOptions(Map.of("metadata", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("the posix backend takes no options (got: metadata)");
        assertThatThrownBy(() -> posix.open(tmp, false, Map.of("uid", "1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("the posix backend takes no options (got: uid)");
        BackendProvider windows = BackendProvider.named("windows");
        windows.checkOptions(Map.of("metadata", "true", "uid", "1234", "gid", "2345", "umask", "077", "symlinks", "native"));
        assertThatThrownBy(() -> windows.checkOptions(Map.of("owner", "1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no option 'owner'")
                .hasMessageContaining("metadata, uid, gid, umask, symlinks, inode-store");
    }

    /** The Windows server on Java 21 loads every provider to ask isSupported: none may need 25. */
    @Test
    void everyProviderClassLoadsOnJava21() throws IOException {
        for (BackendProvider p : BackendProvider.all()) {
            String resource = "/" + p.getClass().getName().replace('.', '/') + ".class";
            try (InputStream in = p.getClass().getResourceAsStream(resource)) {
                DataInputStream data = new DataInputStream(in);
                assertThat(data.readInt()).isEqualTo(0xCAFEBABE);
                data.readUnsignedShort();
                assertThat(data.readUnsignedShort()).as(p.name() + " class file version").isEqualTo(65);   // Java 21
            }
        }
    }
}
