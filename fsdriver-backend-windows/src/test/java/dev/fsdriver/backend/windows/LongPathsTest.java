package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import org.junit.jupiter.api.Test;

class LongPathsTest {
    @Test
    void drivePathGetsThePrefix() {
        assertThat(LongPaths.toLongPath("C:\\Users\\me\\data")).isEqualTo("\\\\?\\C:\\Users\\me\\data");
        assertThat(LongPaths.toLongPath("C:/Users/me/data/")).isEqualTo("\\\\?\\C:\\Users\\me\\data");
    }

    @Test
    void driveRootKeepsItsSeparator() {
        assertThat(LongPaths.toLongPath("D:\\")).isEqualTo("\\\\?\\D:\\");
        assertThat(LongPaths.toLongPath("D:")).isEqualTo("\\\\?\\D:\\");
    }

    @Test
    void uncPathBecomesQuestionMarkUnc() {
        assertThat(LongPaths.toLongPath("\\\\server\\share\\dir")).isEqualTo("\\\\?\\UNC\\server\\share\\dir");
        assertThat(LongPaths.stripPrefix("\\\\?\\UNC\\server\\share\\dir")).isEqualTo("\\\\server\\share\\dir");
    }

    @Test
    void prefixedAndDevicePathsStay() {
        assertThat(LongPaths.toLongPath("\\\\?\\C:\\x")).isEqualTo("\\\\?\\C:\\x");
        assertThat(LongPaths.toLongPath("\\\\.\\C:")).isEqualTo("\\\\.\\C:");
        assertThat(LongPaths.stripPrefix("\\\\?\\C:\\x")).isEqualTo("C:\\x");
    }

    @Test
    void relativeAndDriveRelativePathsAreRejected() {
        assertThatThrownBy(() -> LongPaths.toLongPath("data\\x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LongPaths.toLongPath("C:data")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void resolveEscapesEveryComponentAndExceedsMaxPath() throws FsException {
        String root = LongPaths.toLongPath("C:\\share");
        RelPath p = RelPath.parse("a:b/c?d");
        assertThat(LongPaths.resolve(root, p)).isEqualTo("\\\\?\\C:\\share\\a\uF03Ab\\c\uF03Fd");
        RelPath deep = RelPath.ROOT;
        for (int i = 0; i < 40; i++) {
            deep = deep.resolve("component-" + i);
        }
        String resolved = LongPaths.resolve(root, deep);
        assertThat(resolved.length()).isGreaterThan(260);
        assertThat(resolved).startsWith("\\\\?\\C:\\share\\component-0\\").endsWith("\\component-39");
        assertThat(LongPaths.resolve(root, RelPath.ROOT)).isEqualTo(root);
        assertThat(LongPaths.resolve("\\\\?\\D:\\", RelPath.parse("x"))).isEqualTo("\\\\?\\D:\\x");
    }

    @Test
    void containmentIsCaseInsensitiveAndComponentWise() {
        String root = "\\\\?\\C:\\Share";
        assertThat(LongPaths.isUnder("\\\\?\\C:\\Share", root)).isTrue();
        assertThat(LongPaths.isUnder("\\\\?\\c:\\share\\a\\b", root)).isTrue();
        assertThat(LongPaths.isUnder("\\\\?\\C:\\Shared\\a", root)).isFalse();
        assertThat(LongPaths.isUnder("\\\\?\\C:\\", root)).isFalse();
        assertThat(LongPaths.isUnder("\\\\?\\C:\\x", "\\\\?\\C:\\")).isTrue();
    }
}
