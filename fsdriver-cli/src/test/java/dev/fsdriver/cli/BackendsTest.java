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
