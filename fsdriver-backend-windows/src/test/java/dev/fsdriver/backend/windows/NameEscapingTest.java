package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NameEscapingTest {
    @Test
    void everyForbiddenCharacterGoesToPrivateUseArea() throws FsException {
        assertThat(NameEscaping.toWindows("a:b")).isEqualTo("a\uF03Ab");
        assertThat(NameEscaping.toWindows("\\*?\"<>|")).isEqualTo("\uF05C\uF02A\uF03F\uF022\uF03C\uF03E\uF07C");
        assertThat(NameEscaping.toWindows("tab\there")).isEqualTo("tab\uF009here");
        assertThat(NameEscaping.toWindows("\u0001\u001F")).isEqualTo("\uF001\uF01F");
    }

    @Test
    void ordinaryNamesAreUntouchedAndNotCopied() throws FsException {
        String name = "R\u00e9sum\u00e9 (final) [v2] #1 ~$x.docx";
        assertThat(NameEscaping.toWindows(name)).isSameAs(name);
        assertThat(NameEscaping.fromWindows(name)).isSameAs(name);
    }

    @Test
    void roundTripOfAllEscapableCharacters() throws FsException {
        StringBuilder all = new StringBuilder("x");
        for (char c = 1; c < 0x20; c++) {
            all.append(c);
        }
        all.append("\\:*?\"<>|y");
        String win = NameEscaping.toWindows(all.toString());
        for (char c : win.toCharArray()) {
            assertThat(NameEscaping.isForbidden(c)).as("char %04x", (int) c).isFalse();
        }
        assertThat(NameEscaping.fromWindows(win)).isEqualTo(all.toString());
    }

    @Test
    void privateUseCharactersThatAreNotEscapesStay() throws FsException {
        // U+F041 would be 'A' + 0xF000, but 'A' is allowed, so it is not an escape.
        assertThat(NameEscaping.fromWindows("\uF041")).isEqualTo("\uF041");
        assertThat(NameEscaping.toWindows("\uF041")).isEqualTo("\uF041");
    }

    @Test
    void linuxNameContainingAnEscapeCharacterIsRefused() {
        assertThatThrownBy(() -> NameEscaping.toWindows("a\uF03Ab"))
                .isInstanceOf(FsException.class)
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EINVAL))
                .hasMessageContaining("F03A");
    }

    @Test
    void unpairedSurrogateIsRefused() {
        assertThatThrownBy(() -> NameEscaping.toWindows("a\uD800b"))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EILSEQ));
        assertThatThrownBy(() -> NameEscaping.toWindows("\uDC00"))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EILSEQ));
    }

    @Test
    void pairedSurrogatesAreFine() throws FsException {
        assertThat(NameEscaping.toWindows("emoji\uD83D\uDE00")).isEqualTo("emoji\uD83D\uDE00");
    }

    @ParameterizedTest
    @ValueSource(strings = {"CON", "con", "Nul", "PRN", "AUX", "COM1", "com9", "LPT1", "lpt9", "nul.txt", "CON.tar.gz",
            "aux .c", "COM\u00B9", "CONIN$", "conout$.log"})
    void reservedDeviceNamesAreRefusedForNewNames(String name) {
        assertThat(NameEscaping.isReservedDeviceName(name)).isTrue();
        assertThatThrownBy(() -> NameEscaping.toWindowsNewName(name))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("reserved Windows device name")
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EINVAL));
    }

    @ParameterizedTest
    @ValueSource(strings = {"CONSOLE", "COM0", "COM10", "LPT", "nul_", "my.con", "xnul.txt", "AUXILIARY.txt", ".con"})
    void namesThatOnlyLookReservedAreAllowed(String name) throws FsException {
        assertThat(NameEscaping.isReservedDeviceName(name)).isFalse();
        assertThat(NameEscaping.toWindowsNewName(name)).isEqualTo(name);
    }

    @Test
    void existingReservedNamesCanStillBeLookedUp() throws FsException {
        assertThat(NameEscaping.toWindows("nul.txt")).isEqualTo("nul.txt");
    }
}
