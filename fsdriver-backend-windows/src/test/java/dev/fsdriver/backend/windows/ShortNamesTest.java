package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** B6: 8.3 names in notifications become long names (GetLongPathNameW faked by a map). */
class ShortNamesTest {
    /** What exists now, by the names Windows would resolve (short -> long, whole relative paths). */
    private static final Map<String, String> DISK = Map.of(
            "LONGDI~1", "Long directory",
            "LONGDI~1\\REPORT~1.DOC", "Long directory\\report for 2026.docx",
            "Long directory", "Long directory",
            "Long directory\\REPORT~1.DOC", "Long directory\\report for 2026.docx");
    private static final UnaryOperator<String> RESOLVE = DISK::get;

    private final List<Change> changes = new ArrayList<>();
    private final ChangeTranslator t = new ChangeTranslator(changes::add, p -> p.toString().equals("Long directory"), RESOLVE);

    private static RelPath p(String s) {
        try {
            return RelPath.parse(s);
        } catch (FsException e) {
            throw new AssertionError(e);
        }
    }

    private void feed(Object... actionNamePairs) {
        Le le = NotifyBufferParserTest.basicBuffer(actionNamePairs);
        t.completed(0, le.buffer(), le.buffer().capacity(), false);
    }

    @Test
    void whatLooksLikeAGeneratedShortName() {
        assertThat(ShortNames.looksShort("LONGFI~1.TXT")).isTrue();
        assertThat(ShortNames.looksShort("progra~1")).isTrue();
        assertThat(ShortNames.looksShort("AB12~1")).isTrue();
        assertThat(ShortNames.looksShort("readme.txt")).isFalse();
        assertThat(ShortNames.looksShort("backup~")).isFalse();
        assertThat(ShortNames.looksShort("a~1.docx")).isFalse(); // extension longer than 3
        assertThat(ShortNames.looksShort("long~1name.txt")).isFalse(); // base longer than 8
        assertThat(ShortNames.looksShort("a.b~1.c")).isFalse(); // two dots
    }

    @Test
    void namesWithoutShortLookingComponentsAreNotResolved() {
        assertThat(ShortNames.toLong("plain\\name.txt", n -> {
            throw new AssertionError("resolved " + n);
        })).isEqualTo("plain\\name.txt");
    }

    @Test
    void shortComponentsAnywhereBecomeLong() {
        assertThat(ShortNames.toLong("LONGDI~1\\REPORT~1.DOC", RESOLVE)).isEqualTo("Long directory\\report for 2026.docx");
        assertThat(ShortNames.toLong("LONGDI~1\\new.txt", RESOLVE)).isEqualTo("Long directory\\new.txt"); // leaf gone, parent known
        assertThat(ShortNames.toLong("LONGDI~1\\GONE~1.TXT", RESOLVE)).isNull();
        assertThat(ShortNames.knownAncestor("LONGDI~1\\GONE~1.TXT", RESOLVE)).isEqualTo("Long directory");
        assertThat(ShortNames.knownAncestor("GONEDI~1\\X~1", RESOLVE)).isEmpty();
    }

    @Test
    void changesReportLongNames() {
        feed(3, "LONGDI~1\\REPORT~1.DOC", 1, "LONGDI~1");
        assertThat(changes).containsExactly(
                Change.of(Kind.MODIFIED, p("Long directory/report for 2026.docx"), false),
                Change.of(Kind.CREATED, p("Long directory"), true));
    }

    @Test
    void aShortNameThatNoLongerResolvesRescansItsDirectory() {
        feed(2, "LONGDI~1\\GONE~1.TXT");
        assertThat(changes).containsExactly(Change.of(Kind.OVERFLOW, p("Long directory"), true));
    }

    @Test
    void aRenameThroughAShortNameRescansTheOldNamesDirectoryAndCreatesTheNewName() {
        feed(4, "LONGDI~1\\OLDNAM~1.TXT", 5, "LONGDI~1\\REPORT~1.DOC");
        assertThat(changes).containsExactly(
                Change.of(Kind.OVERFLOW, p("Long directory"), true),
                Change.of(Kind.CREATED, p("Long directory/report for 2026.docx"), false));
    }
}
