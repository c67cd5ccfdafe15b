package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.windows.CaseFolding.CreateDecision;
import java.util.List;
import org.junit.jupiter.api.Test;

class CaseFoldingTest {
    private final List<String> dir = List.of("Makefile", "README.md", "src", "\u00c4rger.txt", "readme.MD");

    @Test
    void lookupReturnsOnDiskSpelling() {
        assertThat(CaseFolding.onDiskSpelling("makefile", dir)).isEqualTo("Makefile");
        assertThat(CaseFolding.onDiskSpelling("SRC", dir)).isEqualTo("src");
        assertThat(CaseFolding.onDiskSpelling("\u00e4rger.TXT", dir)).isEqualTo("\u00c4rger.txt");
        assertThat(CaseFolding.onDiskSpelling("nothing", dir)).isNull();
    }

    @Test
    void exactSpellingWinsWhenTwoNamesDifferOnlyInCase() {
        // Possible in a case-sensitive directory, or through POSIX-semantics creation.
        assertThat(CaseFolding.onDiskSpelling("readme.MD", dir)).isEqualTo("readme.MD");
        assertThat(CaseFolding.onDiskSpelling("README.md", dir)).isEqualTo("README.md");
        assertThat(CaseFolding.onDiskSpelling("Readme.Md", dir)).isEqualTo("README.md");
    }

    @Test
    void createDecisions() {
        assertThat(CaseFolding.decideCreate("new.txt", null)).isEqualTo(CreateDecision.CREATE);
        assertThat(CaseFolding.decideCreate("Makefile", "Makefile")).isEqualTo(CreateDecision.EXISTS);
        assertThat(CaseFolding.decideCreate("makefile", "Makefile")).isEqualTo(CreateDecision.CASE_COLLISION);
        assertThat(CaseFolding.decideCreate("PROGRA~1", "Program Files")).isEqualTo(CreateDecision.CASE_COLLISION);
    }

    @Test
    void foldingIsOneToOnePerChar() {
        // No locale tricks: sharp s does not become "SS", dotless i stays distinct from i.
        assertThat(CaseFolding.equalsIgnoreCase("stra\u00dfe", "STRASSE")).isFalse();
        assertThat(CaseFolding.equalsIgnoreCase("TITLE", "title")).isTrue();
        assertThat(CaseFolding.equalsIgnoreCase("ab", "abc")).isFalse();
    }

    /**
     * B5: what create() asks of every existing file it opened, with no case flag in the question
     * (before, the check ran only when the share root was case-insensitive, so a case-insensitive
     * directory below a case-sensitive root let create("readme", O_TRUNC) truncate README).
     * The per-directory flag itself needs NTFS (Wine has none).
     */
    @Test
    void createThatOpenedAnotherSpellingIsACollision() {
        assertThat(CaseFolding.openedAnotherSpelling("readme", "\\\\?\\C:\\share\\ci-dir\\README")).isTrue();
        assertThat(CaseFolding.openedAnotherSpelling("README", "\\\\?\\C:\\share\\ci-dir\\README")).isFalse();
        assertThat(CaseFolding.openedAnotherSpelling("REPORT~1.DOC", "\\\\?\\C:\\share\\report for 2026.docx")).isTrue();
        assertThat(CaseFolding.openedAnotherSpelling("readme", "\\\\?\\C:\\Share\\readme")).isFalse(); // the root's case is not the leaf's
    }
}
