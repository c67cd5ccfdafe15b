package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.windows.NativeSymlinkSteps.Made;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, containment of native symlink creation: the order of attempts against a scripted fake
 * of the native side (Wine 8 has no reparse points and a CreateSymbolicLinkW stub, so the path
 * fallback and its verification cannot run there).
 */
class NativeSymlinkStepsTest {
    private final List<String> calls = new ArrayList<>();
    private final Deque<Object> outcomes = new ArrayDeque<>(); // per call: "ok", a WindowsException, or a Boolean for madeInParent; none left: ok

    private final NativeSymlinkSteps.Ops ops = new NativeSymlinkSteps.Ops() {
        @Override
        public void createByHandle() throws WindowsException {
            step("byHandle");
        }

        @Override
        public void createByPath() throws WindowsException {
            step("byPath");
        }

        @Override
        public boolean madeInParent() throws WindowsException {
            Object o = step("verify");
            return !(o instanceof Boolean b) || b;
        }

        @Override
        public void removeByPath() {
            calls.add("remove");
        }
    };

    private Object step(String name) throws WindowsException {
        calls.add(name);
        Object o = outcomes.poll();
        if (o instanceof WindowsException e) {
            throw e;
        }
        return o;
    }

    private static WindowsException err(int code) {
        return new WindowsException(code);
    }

    @Test
    void withThePrivilegeTheLinkIsMadeRelativeToTheParentHandleOnly() throws Exception {
        assertThat(NativeSymlinkSteps.create(ops, "l")).isEqualTo(Made.BY_HANDLE);
        assertThat(calls).containsExactly("byHandle");
    }

    @Test
    void withoutThePrivilegeThePathIsUsedAndTheLinkVerifiedInItsParent() throws Exception {
        outcomes.add(err(WinErrors.ERROR_PRIVILEGE_NOT_HELD));
        outcomes.add("ok");
        outcomes.add(Boolean.TRUE);
        assertThat(NativeSymlinkSteps.create(ops, "l")).isEqualTo(Made.BY_PATH_VERIFIED);
        assertThat(calls).containsExactly("byHandle", "byPath", "verify");
    }

    @Test
    void aLinkThatDidNotLandInItsParentIsRemovedAndTheCallFails() throws Exception {
        // an ancestor swapped for a link between the final path and CreateSymbolicLinkW (or Wine's stub)
        outcomes.add(err(WinErrors.ERROR_PRIVILEGE_NOT_HELD));
        outcomes.add("ok");
        outcomes.add(Boolean.FALSE);
        assertThatThrownBy(() -> NativeSymlinkSteps.create(ops, "l"))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
        assertThat(calls).containsExactly("byHandle", "byPath", "verify", "remove");
    }

    @Test
    void aLinkThatCannotBeOpenedInItsParentCountsAsMisplaced() throws Exception {
        outcomes.add(err(WinErrors.ERROR_PRIVILEGE_NOT_HELD));
        outcomes.add("ok");
        outcomes.add(err(WinErrors.ERROR_FILE_NOT_FOUND));
        assertThatThrownBy(() -> NativeSymlinkSteps.create(ops, "l")).isInstanceOf(FsException.class);
        assertThat(calls).containsExactly("byHandle", "byPath", "verify", "remove");
    }

    @Test
    void anyOtherFailureByHandleIsTheAnswerAndThePathIsNeverTried() {
        // Wine 8: FSCTL_SET_REPARSE_POINT fails with error 50; a file system without reparse points likewise
        outcomes.add(err(WinErrors.ERROR_NOT_SUPPORTED));
        assertThatThrownBy(() -> NativeSymlinkSteps.create(ops, "l"))
                .isInstanceOfSatisfying(WindowsException.class, e -> assertThat(e.win32Error()).isEqualTo(WinErrors.ERROR_NOT_SUPPORTED));
        assertThat(calls).containsExactly("byHandle");
    }

    @Test
    void withoutDeveloperModeEitherItIsEpermSayingWhatIsMissing() {
        outcomes.add(err(WinErrors.ERROR_PRIVILEGE_NOT_HELD));
        outcomes.add(err(WinErrors.ERROR_PRIVILEGE_NOT_HELD));
        assertThatThrownBy(() -> NativeSymlinkSteps.create(ops, "l"))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM))
                .hasMessageContaining("Developer Mode");
        assertThat(calls).containsExactly("byHandle", "byPath");
    }
}
