package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.examples.MemoryFileSystem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Mount options by their effect, through both mount paths (mount(2) as root, and fusermount3
 * forced): read-only, allow_other, default_permissions, fsname/subtype; and the caller's
 * pid/uid/gid as another user sees them. Other users are made with setpriv.
 */
class MountOptionsTest {
    private static final String UID = "1234";
    private static final String GID = "2345";

    @TempDir
    Path tmp;

    @BeforeEach
    void letOthersIn() throws Exception {
        Tools.ok(tmp, "chmod", "755", tmp.toString());   // @TempDir is 0700
    }

    private Path mountPoint(String name) throws IOException {
        return Files.createDirectory(tmp.resolve(name)).toRealPath();
    }

    private static FuseMount mount(Path mnt, FuseFileSystem fs, MountOptions.Builder options, boolean fusermount)
            throws IOException {
        return FuseSession.mount(mnt, fs, options.fsName("opts-test").subtype("optfs").build(), fusermount);
    }

    /** The super options of the mount at {@code mnt} in /proc/self/mountinfo (after " - TYPE SOURCE "). */
    private static String mountLine(Path mnt) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals(mnt.toString())).findFirst().orElseThrow();
    }

    /** Runs {@code command} as uid 1234, gid 2345 (no supplementary groups). */
    private Tools.Result asOther(Path dir, String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + UID, "--regid=" + GID, "--clear-groups"));
        c.addAll(List.of(command));
        return Tools.run(dir, c.toArray(String[]::new));
    }

    @ParameterizedTest(name = "fusermount3={0}")
    @ValueSource(booleans = {false, true})
    void readOnlyRefusesChangesWithErofs(boolean fusermount) throws Exception {
        Path mnt = mountPoint("ro");
        try (FuseMount m = mount(mnt, new MemoryFileSystem(), MountOptions.builder().readOnly(true), fusermount)) {
            assertThat(mountLine(mnt)).contains(" ro,").contains(" - fuse.optfs opts-test ");
            assertThat(Tools.run(mnt, "touch", "x").output()).contains("Read-only file system");
            assertThat(Tools.run(mnt, "mkdir", "d").output()).contains("Read-only file system");
            assertThat(Tools.ok(mnt, "ls", "-a")).contains(".");   // reading still works
        }
    }

    @ParameterizedTest(name = "fusermount3={0}")
    @ValueSource(booleans = {false, true})
    void allowOtherLetsOtherUsersInAndTheFileSystemSeesWhoCalls(boolean fusermount) throws Exception {
        Map<String, Caller> callers = new ConcurrentHashMap<>();
        MemoryFileSystem fs = new MemoryFileSystem() {
            @Override
            public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
                callers.put(name, new Caller(req.pid(), req.uid(), req.gid()));
                return super.lookup(req, parent, name);
            }
        };
        Path closed = mountPoint("closed");
        try (FuseMount m = mount(closed, new MemoryFileSystem(), MountOptions.builder(), fusermount)) {
            assertThat(mountLine(closed)).doesNotContain("allow_other");
            assertThat(asOther(closed, "ls").output()).contains("Permission denied");   // the kernel refuses
        }
        Path open = mountPoint("open");
        try (FuseMount m = mount(open, fs, MountOptions.builder().allowOther(true), fusermount)) {
            assertThat(mountLine(open)).contains("allow_other");
            Tools.Result r = asOther(open, "sh", "-c", "echo $$; exec stat -c %u:%g " + open.resolve("probe"));
            String pid = r.output().lines().findFirst().orElseThrow();
            assertThat(r.output()).contains("No such file");
            // the caller as the kernel saw it: the shell's pid (stat is exec'd in place), uid and gid
            assertThat(callers.get("probe")).isEqualTo(new Caller(Integer.parseInt(pid), 1234, 2345));
            // and the file system uses them: the memory file system makes new files the caller's own
            assertThat(asOther(open, "touch", "mine").code()).isZero();
            assertThat(Tools.ok(open, "stat", "-c", "%u:%g", "mine")).isEqualTo(UID + ":" + GID);
        }
    }

    private record Caller(int pid, int uid, int gid) {}

    @ParameterizedTest(name = "fusermount3={0}")
    @ValueSource(booleans = {false, true})
    void defaultPermissionsLetTheKernelCheckModes(boolean fusermount) throws Exception {
        // The memory file system checks no permissions: without default_permissions anyone reads a 0600 file.
        Path plain = mountPoint("plain");
        try (FuseMount m = mount(plain, new MemoryFileSystem(), MountOptions.builder().allowOther(true), fusermount)) {
            Files.writeString(plain.resolve("secret"), "s");
            Tools.ok(plain, "chmod", "600", "secret");
            assertThat(asOther(plain, "cat", "secret").output()).isEqualTo("s");
        }
        Path checked = mountPoint("checked");
        try (FuseMount m = mount(checked, new MemoryFileSystem(),
                MountOptions.builder().allowOther(true).defaultPermissions(true), fusermount)) {
            assertThat(mountLine(checked)).contains("default_permissions");
            Files.writeString(checked.resolve("secret"), "s");
            Tools.ok(checked, "chmod", "600", "secret");
            assertThat(asOther(checked, "cat", "secret").output()).contains("Permission denied");
            Tools.ok(checked, "chmod", "644", "secret");
            assertThat(asOther(checked, "cat", "secret").output()).isEqualTo("s");
            assertThat(Files.readString(checked.resolve("secret"), StandardCharsets.UTF_8)).isEqualTo("s");
        }
    }
}
