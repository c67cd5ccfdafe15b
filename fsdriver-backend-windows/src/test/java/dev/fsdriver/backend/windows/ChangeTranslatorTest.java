package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.ChangeTranslator.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChangeTranslatorTest {
    private final List<Change> changes = new ArrayList<>();
    private final Set<String> dirs = Set.of("d", "d/sub");
    private final ChangeTranslator t = new ChangeTranslator(changes::add, p -> dirs.contains(p.toString()));

    private static RelPath p(String s) {
        try {
            return RelPath.parse(s);
        } catch (FsException e) {
            throw new AssertionError(e);
        }
    }

    private Outcome feed(Object... actionNamePairs) {
        Le le = NotifyBufferParserTest.basicBuffer(actionNamePairs);
        return t.completed(0, le.buffer(), le.buffer().capacity(), false);
    }

    @Test
    void basicActionsBecomeChanges() {
        assertThat(feed(1, "d\\new.txt", 3, "d\\new.txt", 2, "gone", 1, "d\\sub")).isEqualTo(Outcome.REARM);
        assertThat(changes).containsExactly(
                Change.of(Kind.CREATED, p("d/new.txt"), false),
                Change.of(Kind.MODIFIED, p("d/new.txt"), false),
                Change.of(Kind.DELETED, p("gone"), false),
                Change.of(Kind.CREATED, p("d/sub"), true));
    }

    @Test
    void modifiedDirectoryIsAttrib() {
        feed(3, "d");
        assertThat(changes).containsExactly(Change.of(Kind.ATTRIB, p("d"), true));
    }

    @Test
    void renamePairInOneBuffer() {
        feed(4, "a.txt", 5, "d\\b.txt");
        assertThat(changes).containsExactly(new Change(Kind.RENAMED, p("a.txt"), p("d/b.txt"), false));
    }

    @Test
    void renamePairSplitAcrossTwoBuffers() {
        feed(1, "x", 4, "d\\sub");
        assertThat(changes).containsExactly(Change.of(Kind.CREATED, p("x"), false));
        assertThat(t.hasPending()).isTrue();
        feed(5, "d\\sub2", 3, "x");
        assertThat(changes).containsExactly(
                Change.of(Kind.CREATED, p("x"), false),
                new Change(Kind.RENAMED, p("d/sub"), p("d/sub2"), false),
                Change.of(Kind.MODIFIED, p("x"), false));
        assertThat(t.hasPending()).isFalse();
    }

    @Test
    void oldNameWithoutNewNameIsDeletedAtTheNextRecordOrFlush() {
        feed(4, "moved-out", 1, "y");
        assertThat(changes).containsExactly(
                Change.of(Kind.DELETED, p("moved-out"), false),
                Change.of(Kind.CREATED, p("y"), false));
        changes.clear();
        feed(4, "moved-out-too");
        assertThat(changes).isEmpty();
        t.flush();
        assertThat(changes).containsExactly(Change.of(Kind.DELETED, p("moved-out-too"), false));
    }

    @Test
    void newNameWithoutOldNameIsCreated() {
        feed(5, "moved-in");
        assertThat(changes).containsExactly(Change.of(Kind.CREATED, p("moved-in"), false));
    }

    @Test
    void zeroByteSuccessIsOverflowAndDropsAPendingOldName() {
        feed(4, "half");
        assertThat(t.completed(0, null, 0, false)).isEqualTo(Outcome.REARM);
        assertThat(changes).containsExactly(Change.of(Kind.OVERFLOW, RelPath.ROOT, true));
        assertThat(t.hasPending()).isFalse();
    }

    @Test
    void notifyEnumDirIsOverflow() {
        assertThat(t.completed(WinErrors.ERROR_NOTIFY_ENUM_DIR, null, 0, false)).isEqualTo(Outcome.REARM);
        assertThat(changes).containsExactly(Change.of(Kind.OVERFLOW, RelPath.ROOT, true));
    }

    @Test
    void corruptBufferIsOverflow() {
        Le le = NotifyBufferParserTest.basicBuffer(1, "abc");
        le.u32(8, 999);
        assertThat(t.completed(0, le.buffer(), le.buffer().capacity(), false)).isEqualTo(Outcome.REARM);
        assertThat(changes).containsExactly(Change.of(Kind.OVERFLOW, RelPath.ROOT, true));
    }

    @Test
    void invalidNamesBecomeOverflow() {
        feed(1, "a\\..\\b");
        assertThat(changes).containsExactly(Change.of(Kind.OVERFLOW, RelPath.ROOT, true));
    }

    @Test
    void escapedNamesAreShownUnescaped() {
        feed(1, "what\uF03Fnot");
        assertThat(changes).containsExactly(Change.of(Kind.CREATED, p("what?not"), false));
    }

    @Test
    void cancelStopsAndAccessDeniedAsksForARootCheck() {
        assertThat(t.completed(WinErrors.ERROR_OPERATION_ABORTED, null, 0, false)).isEqualTo(Outcome.STOP);
        assertThat(t.completed(WinErrors.ERROR_ACCESS_DENIED, null, 0, false)).isEqualTo(Outcome.CHECK_ROOT);
        t.rootGone();
        assertThat(changes).containsExactly(Change.of(Kind.DELETED, RelPath.ROOT, true));
    }

    @Test
    void extendedRecordsGiveDirectoryness() {
        String n = "dd";
        Le le = new Le(84 + 4).junk();
        le.u32(0, 0).u32(4, 2);
        for (int o = 8; o < 56; o += 8) {
            le.u64(o, 0);
        }
        le.u32(56, WinAttributes.FILE_ATTRIBUTE_DIRECTORY).u32(60, 0).u64(64, 9).u64(72, 5).u32(80, 4).utf16(84, n);
        assertThat(t.completed(0, le.buffer(), 88, true)).isEqualTo(Outcome.REARM);
        assertThat(changes).containsExactly(Change.of(Kind.DELETED, p("dd"), true));
    }
}
