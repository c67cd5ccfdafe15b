package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ShareSpecTest {
    @Test
    void parsesNameDirAndReadOnly() {
        assertThat(ShareSpec.parse("home=/srv/home")).isEqualTo(new ShareSpec("home", Path.of("/srv/home"), false));
        assertThat(ShareSpec.parse("a.b_c-1=/x:ro")).isEqualTo(new ShareSpec("a.b_c-1", Path.of("/x"), true));
        assertThat(ShareSpec.parse("w=rel/dir:rw")).isEqualTo(new ShareSpec("w", Path.of("rel/dir"), false));
        assertThat(ShareSpec.parse("c=C:\\Users=x").dir()).isEqualTo(Path.of("C:\\Users=x"));
    }

    @Test
    void rejectsWithClearMessages() {
        assertThatThrownBy(() -> ShareSpec.parse("nodir")).hasMessageContaining("NAME=DIR[:ro]");
        assertThatThrownBy(() -> ShareSpec.parse("=/x")).hasMessageContaining("share name ''");
        assertThatThrownBy(() -> ShareSpec.parse("bad name=/x")).hasMessageContaining("letters, digits");
        assertThatThrownBy(() -> ShareSpec.parse("a/b=/x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ShareSpec.parse("n=")).hasMessageContaining("empty directory");
        assertThatThrownBy(() -> ShareSpec.parse("n=:ro")).hasMessageContaining("empty directory");
        assertThatThrownBy(() -> ShareSpec.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
