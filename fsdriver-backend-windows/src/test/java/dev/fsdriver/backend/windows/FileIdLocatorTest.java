package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Locating by file id, the decisions (the native open is a fake): only a path strictly below
 * the share root's own final path is an answer, turned back into share names.
 */
class FileIdLocatorTest {
    private static final String ROOT = "\\\\?\\Z:\\tmp\\share";

    private static RelPath p(String s) throws FsException {
        return RelPath.parse(s);
    }

    @Test
    void aPathStrictlyBelowTheRootIsTheAnswerInShareNames() throws Exception {
        assertThat(FileIdLocator.below(ROOT + "\\elsewhere\\deep\\work", ROOT)).isEqualTo(p("elsewhere/deep/work"));
        // case as NTFS compares, the names as the listing gives them (escapes undone)
        assertThat(FileIdLocator.below("\\\\?\\z:\\TMP\\Share\\dot\uF02E", ROOT)).isEqualTo(p("dot."));
        assertThat(FileIdLocator.below("\\\\?\\Z:\\x\\y", "\\\\?\\Z:\\")).isEqualTo(p("x/y"));
    }

    @Test
    void theRootItsParentASiblingAndOddNamesAreNoAnswer() {
        assertThat(FileIdLocator.below(ROOT, ROOT)).as("the root itself (a link loop under Wine)").isNull();
        assertThat(FileIdLocator.below(ROOT + "\\", ROOT)).isNull();
        assertThat(FileIdLocator.below("\\\\?\\Z:\\tmp", ROOT)).as("its parent (Wine answers '..' for it)").isNull();
        assertThat(FileIdLocator.below("\\\\?\\Z:\\tmp\\share2\\work", ROOT)).as("a sibling with the root as prefix").isNull();
        assertThat(FileIdLocator.below("\\\\?\\C:\\Windows\\work", ROOT)).as("elsewhere on the volume").isNull();
        assertThat(FileIdLocator.below(ROOT + "\\a\\\\b", ROOT)).isNull();
        assertThat(FileIdLocator.below(ROOT + "\\a\\..\\..\\etc", ROOT)).isNull();
        assertThat(FileIdLocator.below(ROOT + "\\a\\.", ROOT)).isNull();
    }

    @Test
    void onlyNumbersMadeDirectlyFromAFileIdAreOpenedByIt() throws Exception {
        List<Long> opened = new ArrayList<>();
        FileIdLocator l = new FileIdLocator(id -> {
            opened.add(id);
            return ROOT + "\\moved";
        }, ROOT, true);
        assertThat(l.locate(0x1234)).isEqualTo(p("moved"));
        assertThat(l.locate(InodeNumbers.MAPPED_BASE + 5)).as("a mapped number (128-bit id, another volume)").isNull();
        assertThat(l.locate(InodeNumbers.PATH_BASE + 5)).as("a path key").isNull();
        assertThat(opened).containsExactly(0x1234L);
    }

    @Test
    void aFailedOpenIsNotFoundAndAnUnimplementedOneCannotLocate() throws Exception {
        FileIdLocator gone = new FileIdLocator(id -> {
            throw new WindowsException(87, 0xC000000D /* STATUS_INVALID_PARAMETER: no such id */, "NtCreateFile");
        }, ROOT, true);
        assertThat(gone.locate(7)).isNull();
        FileIdLocator outside = new FileIdLocator(id -> "\\\\?\\Z:\\tmp\\other\\f", ROOT, true);
        assertThat(outside.locate(7)).isNull();

        FileIdLocator unimplemented = new FileIdLocator(id -> {
            throw new WindowsException(120, 0xC0000002 /* STATUS_NOT_IMPLEMENTED */, "NtCreateFile");
        }, ROOT, true);
        assertThatThrownBy(() -> unimplemented.locate(7)).isInstanceOf(FsException.class)
                .extracting(e -> ((FsException) e).errno()).isEqualTo(Errno.ENOSYS);
        FileIdLocator noIds = new FileIdLocator(id -> ROOT + "\\x", ROOT, false);
        assertThatThrownBy(() -> noIds.locate(7)).isInstanceOf(FsException.class)
                .extracting(e -> ((FsException) e).errno()).isEqualTo(Errno.ENOSYS);
    }
}
