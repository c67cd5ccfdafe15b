package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.OpenFlags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: what Wine 8 cannot do, feature by feature, each with its reason, asserted as exactly
 * that: after every call with a fallback has run once, the backend's fallbacks are exactly
 * {@link #MISSING_UNDER_WINE}, and the volume reports exactly {@link #WINE_VOLUME_FLAGS}. A feature
 * Wine starts to have (or a new one it lacks) fails here, to be taken off (or put on) the list and
 * the table in docs/windows.md ("Under Wine"). Run under Wine by WindowsTestsUnderWineTest (which
 * sets fsdriver.wine and lets nothing skip); on NTFS the CI job reports it skipped: which of these
 * an NTFS volume has is what WindowsBackendOnWindowsTest shows there.
 */
@EnabledOnOs(OS.WINDOWS)
@EnabledIfSystemProperty(named = "fsdriver.wine", matches = ".+", disabledReason = "Wine's own gaps (set by WindowsTestsUnderWineTest)")
class WineFeatureGapsOnWindowsTest {
    /** Feature -> why Wine 8 lacks it (what the first call answers, or what decides it at open). */
    static final Map<Feature, String> MISSING_UNDER_WINE = Map.of(
            Feature.POSIX_RENAME, "no FileRenameInformationEx (class 65: STATUS_NOT_IMPLEMENTED): the classic FileRenameInformation runs",
            Feature.POSIX_DELETE, "no FileDispositionInformationEx (error 87): the classic delete-on-close runs",
            Feature.EXTD_DIR_INFO, "no FileIdExtdDirectoryInformation (error 87): listings use FileIdBothDirectoryInformation",
            Feature.EXTENDED_ATTRIBUTES, "no extended attributes: the volume flags lack FILE_SUPPORTS_EXTENDED_ATTRIBUTES",
            Feature.NOTIFY_EXTENDED, "no ReadDirectoryChangesExW (error 120, not implemented): names-only ReadDirectoryChangesW",
            Feature.CASE_SENSITIVE_DIRS, "no FileCaseSensitiveInformation, the per-directory case flag (error 120): case-insensitive",
            Feature.CREATION_TIME, "CreationTime moves on every write (the host's ctime): generation 0");

    /**
     * GetVolumeInformationByHandleW's flags under Wine 8 on a Linux directory: case-preserved names
     * and persistent ACLs only. Not reported, so not used: FILE_SUPPORTS_REPARSE_POINTS (no reparse
     * points: FSCTL_SET_REPARSE_POINT fails with error 50, so no WSL or native symlink, FIFO or
     * socket can be made), FILE_SUPPORTS_EXTENDED_ATTRIBUTES (no EAs: no $LX metadata, no user.*
     * xattrs), FILE_SUPPORTS_POSIX_UNLINK_RENAME, FILE_CASE_SENSITIVE_SEARCH, FILE_SUPPORTS_HARD_LINKS
     * (hard links work all the same), FILE_SUPPORTS_OPEN_BY_FILE_ID and FILE_SUPPORTS_OBJECT_IDS.
     */
    static final int WINE_VOLUME_FLAGS = VolumeFeatures.FILE_CASE_PRESERVED_NAMES | VolumeFeatures.FILE_PERSISTENT_ACLS;

    @TempDir
    Path dir;

    private static RelPath p(String s) throws FsException {
        return RelPath.parse(s);
    }

    @Test
    @SuppressWarnings("try") // the watch handle only needs closing
    void wineLacksExactlyTheListedFeatures() throws Exception {
        try (WindowsBackend b = WindowsBackend.open(dir, false)) {
            VolumeFeatures features = b.features();
            // Every call with a fallback, once: rename over a file, unlink, list, stat, watch.
            b.create(p("a"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
            b.create(p("b"), 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT).close();
            b.rename(p("a"), p("b"), 0);
            b.mkdir(p("d"), 0755);
            assertThat(b.list(RelPath.ROOT).stream().map(DirEntry::name).toList()).containsExactlyInAnyOrder("b", "d");
            b.unlink(p("b"));
            assertThat(b.stat(p("d")).isDirectory()).isTrue();
            LinkedBlockingQueue<Change> q = new LinkedBlockingQueue<>();
            try (AutoCloseable w = b.watch(q::add)) {
                Files.writeString(dir.resolve("watched"), "x");
                assertThat(q.poll(10, TimeUnit.SECONDS)).as("a change: the watch was armed").isNotNull();
            }

            Map<Feature, String> missing = features.missing();
            assertThat(missing.keySet()).as("fallbacks taken under Wine (feature -> the error that did it): %s", missing)
                    .containsExactlyInAnyOrderElementsOf(MISSING_UNDER_WINE.keySet());
            assertThat(features.flags()).as("volume flags 0x%s", Integer.toHexString(features.flags())).isEqualTo(WINE_VOLUME_FLAGS);

            // What the missing flags mean for a client, as it sees it.
            assertThatThrownBy(() -> b.symlink(p("l"), "d"))
                    .as("no reparse points: no WSL symlink")
                    .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).as(e.getMessage()).isEqualTo(Errno.EOPNOTSUPP));
            assertThatThrownBy(() -> b.setxattr(p("d"), "user.x", "v".getBytes(StandardCharsets.UTF_8), 0))
                    .as("no extended attributes: no user.* xattrs")
                    .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).as(e.getMessage()).isEqualTo(Errno.EOPNOTSUPP));
            assertThat(b.list(RelPath.ROOT).stream().map(DirEntry::name).toList()).as("nothing left behind")
                    .containsExactlyInAnyOrder("d", "watched");
        }
    }
}
