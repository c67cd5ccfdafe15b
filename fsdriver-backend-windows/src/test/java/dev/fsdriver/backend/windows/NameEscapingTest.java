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
    @ValueSource(strings = {"CON", "con", "Nul", "PRN", "AUX", "COM0", "COM1", "com9", "LPT0", "lpt0.txt", "LPT1", "lpt9", "nul.txt", "CON.tar.gz",
            "aux .c", "COM\u00B9", "CONIN$", "conout$.log"})
    void reservedDeviceNamesAreRefusedForNewNames(String name) {
        assertThat(NameEscaping.isReservedDeviceName(name)).isTrue();
        assertThatThrownBy(() -> NameEscaping.toWindowsNewName(name))
                .isInstanceOf(FsException.class)
                .hasMessageContaining("reserved Windows device name")
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EINVAL));
    }

    @ParameterizedTest
    @ValueSource(strings = {"CONSOLE", "COM10", "LPT", "nul_", "my.con", "xnul.txt", "AUXILIARY.txt", ".con"})
    void namesThatOnlyLookReservedAreAllowed(String name) throws FsException {
        assertThat(NameEscaping.isReservedDeviceName(name)).isFalse();
        assertThat(NameEscaping.toWindowsNewName(name)).isEqualTo(name);
    }

    @Test
    void existingReservedNamesCanStillBeLookedUp() throws FsException {
        assertThat(NameEscaping.toWindows("nul.txt")).isEqualTo("nul.txt");
    }

    /** B12: Win32 strips a trailing dot or space, so "dot." could not be opened or deleted by Explorer. */
    @Test
    void trailingDotAndSpaceAreEscapedAndComeBack() throws FsException {
        assertThat(NameEscaping.toWindows("dot.")).isEqualTo("dot\uF02E");
        assertThat(NameEscaping.toWindows("space ")).isEqualTo("space\uF020");
        assertThat(NameEscaping.toWindows("a. .")).isEqualTo("a. \uF02E");
        assertThat(NameEscaping.fromWindows("dot\uF02E")).isEqualTo("dot.");
        assertThat(NameEscaping.fromWindows("space\uF020")).isEqualTo("space ");
        // dots and spaces elsewhere are ordinary, and so are their private-use twins there
        assertThat(NameEscaping.toWindows("a.b c")).isEqualTo("a.b c");
        assertThat(NameEscaping.fromWindows("a\uF02Eb")).isEqualTo("a\uF02Eb");
        assertThat(NameEscaping.toWindows("a\uF02Eb")).isEqualTo("a\uF02Eb");
    }

    @Test
    void aLinuxNameEndingInTheDotOrSpaceEscapeIsRefused() {
        assertThatThrownBy(() -> NameEscaping.toWindows("x\uF02E"))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EINVAL));
    }

    /** B12: NTFS allows 255 UTF-16 units per component; beyond is ENAMETOOLONG, not EINVAL. */
    @Test
    void aComponentOver255UnitsIsNameTooLong() throws FsException {
        assertThat(NameEscaping.toWindows("n".repeat(255))).hasSize(255);
        assertThatThrownBy(() -> NameEscaping.toWindows("n".repeat(256)))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.ENAMETOOLONG));
    }
}
