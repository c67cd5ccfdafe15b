package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.WindowsException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * B11: the delete's attempts in order, against a fake of the native calls. Wine has no
 * FileDispositionInformationEx and no ACLs and ignores READONLY on directories, so these paths
 * cannot be shown there; the NTFS CI job runs them for real.
 */
class WindowsDeleteTest {
    private static final int RO = WinAttributes.FILE_ATTRIBUTE_READONLY;
    private static final int ARCHIVE = WinAttributes.FILE_ATTRIBUTE_ARCHIVE;
    private static final int EX = Structs.FileDispositionInfoEx;
    private static final int CLASSIC = Structs.FileDispositionInfo;
    private static final int IGNORE_RO = Structs.FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE;
    private static final int INVALID_PARAMETER = 87;
    private static final int ACCESS_DENIED = 5;
    private static final int SHARING_VIOLATION = 32;

    private final VolumeFeatures features = new VolumeFeatures("NTFS", VolumeFeatures.FILE_SUPPORTS_POSIX_UNLINK_RENAME, 1, 255);
    private final DeleteSteps steps = new DeleteSteps(features);
    private final List<String> calls = new ArrayList<>();
    /** Answers of the disposition calls in order: 0 succeeds, else the Win32 error. */
    private final Deque<Integer> answers = new ArrayDeque<>();

    private final DeleteSteps.Ops ops = new DeleteSteps.Ops() {
        @Override
        public void disposition(int infoClass, int flags) throws WindowsException {
            calls.add((infoClass == EX ? "ex " : "classic ") + Integer.toHexString(flags));
            Integer a = answers.poll();
            if (a != null && a != 0) {
                throw new WindowsException(a, 0, "SetFileInformationByHandle");
            }
        }

        @Override
        public void setAttributes(int attributes) {
            calls.add("attributes " + Integer.toHexString(attributes));
        }
    };

    @Test
    void posixDeleteIgnoresReadonlyWithoutAskingToWriteAttributes() throws Exception {
        steps.delete(ops, RO | ARCHIVE);
        assertThat(calls).containsExactly("ex " + Integer.toHexString(DeleteSteps.POSIX | IGNORE_RO));
    }

    @Test
    void windows1607To1803KeepPosixDeleteWithoutTheUnknownFlag() throws Exception {
        answers.add(INVALID_PARAMETER); // the flag is unknown
        steps.delete(ops, RO | ARCHIVE);
        assertThat(calls).containsExactly("ex 13", "attributes " + Integer.toHexString(ARCHIVE), "ex 3");
        assertThat(steps.ignoreReadonlyFlag()).isFalse();
        assertThat(features.has(Feature.POSIX_DELETE)).as("POSIX delete stays on").isTrue();
        calls.clear();
        steps.delete(ops, ARCHIVE);
        assertThat(calls).containsExactly("ex 3"); // no second try of the flag
    }

    @Test
    void noPosixDeleteFallsBackToTheClassicDeleteWithReadonlyCleared() throws Exception {
        answers.add(INVALID_PARAMETER);
        answers.add(INVALID_PARAMETER);
        steps.delete(ops, RO);
        assertThat(calls).containsExactly("ex 13", "attributes 80", "ex 3", "attributes 1", "attributes 80", "classic 1");
        assertThat(features.has(Feature.POSIX_DELETE)).as("off once the classic delete worked").isFalse();
    }

    @Test
    void aFailedClassicDeletePutsReadonlyBackAndLeavesPosixDeleteOn() {
        answers.add(INVALID_PARAMETER);
        answers.add(INVALID_PARAMETER);
        answers.add(SHARING_VIOLATION);
        assertThatThrownBy(() -> steps.delete(ops, RO | ARCHIVE))
                .isInstanceOfSatisfying(WindowsException.class, e -> assertThat(e.win32Error()).isEqualTo(SHARING_VIOLATION));
        assertThat(calls).endsWith("classic 1", "attributes " + Integer.toHexString(RO | ARCHIVE));
        assertThat(features.has(Feature.POSIX_DELETE)).as("a failure of both says nothing about support").isTrue();
    }

    @Test
    void aRealErrorOfPosixDeleteIsReportedWithoutFallback() {
        answers.add(ACCESS_DENIED);
        assertThatThrownBy(() -> steps.delete(ops, ARCHIVE))
                .isInstanceOfSatisfying(WindowsException.class, e -> assertThat(e.win32Error()).isEqualTo(ACCESS_DENIED));
        assertThat(calls).containsExactly("ex 13");
        assertThat(features.has(Feature.POSIX_DELETE)).isTrue();
    }
}
