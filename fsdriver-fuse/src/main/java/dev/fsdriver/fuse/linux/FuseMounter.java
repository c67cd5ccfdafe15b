package dev.fsdriver.fuse.linux;

import dev.fsdriver.common.Errno;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import dev.fsdriver.linux.MountCalls;
import dev.fsdriver.linux.ProcessCalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Attaches a /dev/fuse connection to a directory and detaches it: {@code mount(2)} when root,
 * else {@code fusermount3} (Debian package fuse3) which mounts setuid-root and passes the
 * /dev/fuse fd back over a Unix socket (SCM_RIGHTS, socket number in {@code _FUSE_COMMFD}).
 */
public final class FuseMounter {
    private static final String FUSERMOUNT = "fusermount3";

    /** What mount needs: the names and flags of {@code MountOptions}, without depending on it. */
    public record Spec(String fsName, String subtype, boolean allowOther, boolean defaultPermissions,
                       boolean readOnly) {}

    /** A mounted connection: the /dev/fuse fd, and whether fusermount3 made it. */
    public record Mounted(int fd, boolean viaFusermount) {}

    private FuseMounter() {}

    /** Fails with a one-line message if {@code mountPoint} is missing, not a directory or already a mount point. */
    public static Path checkMountPoint(Path mountPoint) throws IOException {
        Path abs = mountPoint.toAbsolutePath().normalize();
        MountInfo dead = findMount(abs);
        if (dead != null && !Files.isDirectory(abs)) {
            // e.g. the FUSE mount of a process that died: stat fails with ENOTCONN
            throw new IOException("mount point is already a mount point (not accessible, stale?): " + abs + " ("
                    + dead.fsType() + " from " + dead.source() + "; clean with fusermount3 -u -z or umount -l)");
        }
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS) && !Files.exists(abs)) {
            throw new NoSuchFileException(abs.toString(), null, "mount point does not exist");
        }
        if (!Files.isDirectory(abs)) {
            throw new IOException("mount point is not a directory: " + abs);
        }
        Path real = abs.toRealPath();
        MountInfo existing = findMount(real);
        if (existing != null) {
            throw new IOException("mount point is already a mount point: " + real + " (" + existing.fsType()
                    + " from " + existing.source() + ")");
        }
        return real;
    }

    /**
     * The FUSE mount at {@code mountPoint} if it is dead: still mounted, but the process that
     * served it is gone, so every access fails ENOTCONN. Null when there is none or it answers.
     */
    public static MountInfo findDeadMount(Path mountPoint) throws IOException {
        Path abs = mountPoint.toAbsolutePath().normalize();
        if (abs.getParent() != null && Files.isDirectory(abs.getParent())) {
            // mountinfo names real paths; the dead mount itself cannot be resolved, its parent can
            abs = abs.getParent().toRealPath().resolve(abs.getFileName());
        }
        MountInfo m = findMount(abs);
        if (m == null || !m.fsType().startsWith("fuse")) {
            return null;
        }
        try {
            FileCalls.stat(abs.toString());
            return null;
        } catch (ErrnoException e) {
            return e.errno() == Errno.ENOTCONN ? m : null;
        }
    }

    /** Mounts a new connection at {@code target} (checked and real) and returns its fd. */
    public static Mounted mount(Path target, Spec spec, boolean forceFusermount) throws IOException {
        if (!forceFusermount && ProcessCalls.getuid() == 0) {
            return new Mounted(mountDirect(target, spec), false);
        }
        return new Mounted(mountWithFusermount(target, spec), true);
    }

    private static int mountDirect(Path target, Spec spec) throws IOException {
        int fd;
        try {
            fd = FileCalls.open("/dev/fuse", FileCalls.O_RDWR | FileCalls.O_CLOEXEC, 0);
        } catch (ErrnoException e) {
            throw new IOException("cannot open /dev/fuse: " + e.getMessage());
        }
        StringBuilder data = new StringBuilder()
                .append("fd=").append(fd)
                .append(",rootmode=40000")
                .append(",user_id=").append(Integer.toUnsignedString(ProcessCalls.getuid()))
                .append(",group_id=").append(Integer.toUnsignedString(ProcessCalls.getgid()));
        if (spec.defaultPermissions()) {
            data.append(",default_permissions");
        }
        if (spec.allowOther()) {
            data.append(",allow_other");
        }
        long flags = MountCalls.MS_NOSUID | MountCalls.MS_NODEV | (spec.readOnly() ? MountCalls.MS_RDONLY : 0);
        try {
            MountCalls.mount(spec.fsName(), target.toString(), "fuse." + spec.subtype(), flags, data.toString());
        } catch (ErrnoException e) {
            closeQuietly(fd);
            throw new IOException("cannot mount " + target + ": " + e.getMessage());
        }
        return fd;
    }

    private static int mountWithFusermount(Path target, Spec spec) throws IOException {
        int[] pair;
        try {
            pair = MountCalls.socketpair(MountCalls.AF_UNIX, MountCalls.SOCK_STREAM | MountCalls.SOCK_CLOEXEC, 0);
            FileCalls.fcntl(pair[1], FileCalls.F_SETFD, 0);   // the child's end must survive exec
        } catch (ErrnoException e) {
            throw new IOException("cannot create socket for fusermount3: " + e.getMessage());
        }
        try {
            StringBuilder opts = new StringBuilder(spec.readOnly() ? "ro" : "rw").append(",nosuid,nodev");
            opts.append(",fsname=").append(escape(spec.fsName())).append(",subtype=").append(escape(spec.subtype()));
            if (spec.allowOther()) {
                opts.append(",allow_other");
            }
            if (spec.defaultPermissions()) {
                opts.append(",default_permissions");
            }
            List<String> env = new ArrayList<>();
            for (Map.Entry<String, String> e : System.getenv().entrySet()) {
                if (!e.getKey().equals("_FUSE_COMMFD")) {
                    env.add(e.getKey() + "=" + e.getValue());
                }
            }
            env.add("_FUSE_COMMFD=" + pair[1]);
            int pid = ProcessCalls.posix_spawnp(List.of(FUSERMOUNT, "-o", opts.toString(), "--", target.toString()), env);
            closeQuietly(pair[1]);
            pair[1] = -1;
            int status = ProcessCalls.waitpid(pid);
            if ((status & 0x7f) != 0 || ((status >> 8) & 0xff) != 0) {
                throw new IOException("fusermount3 failed to mount " + target + " (wait status " + status
                        + ", see its message on stderr)");
            }
            int fd = MountCalls.recvmsgFd(pair[0]);
            if (fd < 0) {
                throw new IOException("fusermount3 did not pass the /dev/fuse fd for " + target);
            }
            FileCalls.fcntl(fd, FileCalls.F_SETFD, 1);   // FD_CLOEXEC: don't leak into later children
            return fd;
        } catch (ErrnoException e) {
            throw new IOException("fusermount3 mount of " + target + ": " + e.getMessage());
        } finally {
            closeQuietly(pair[0]);
            if (pair[1] >= 0) {
                closeQuietly(pair[1]);
            }
        }
    }

    private static String escape(String option) {
        return option.replace("\\", "\\\\").replace(",", "\\,");
    }

    /**
     * Unmounts {@code target}. Returns true if it was lazy (busy: detached, the connection lives
     * on until the last user is gone), false if fully unmounted or no longer mounted.
     */
    public static boolean unmount(Path target, boolean viaFusermount) throws IOException {
        if (viaFusermount && ProcessCalls.getuid() != 0) {
            int code = run(List.of(FUSERMOUNT, "-u", "-q", "--", target.toString()));
            if (code == 0) {
                return false;
            }
            code = run(List.of(FUSERMOUNT, "-u", "-z", "-q", "--", target.toString()));
            if (code != 0 && findMount(target) != null) {
                throw new IOException("fusermount3 -u failed for " + target);
            }
            return true;
        }
        try {
            MountCalls.umount2(target.toString(), 0);
            return false;
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) {
                return false;   // already gone (unmounted from outside)
            }
            if (e.errno() != Errno.EBUSY) {
                throw new IOException("cannot unmount " + target + ": " + e.getMessage());
            }
        }
        try {
            MountCalls.umount2(target.toString(), MountCalls.MNT_DETACH);
        } catch (ErrnoException e) {
            throw new IOException("cannot unmount " + target + ": " + e.getMessage());
        }
        return true;
    }

    /** Lazy unmount of {@code target} (MNT_DETACH; fusermount3 -u -z when not root). */
    public static void detach(Path target) throws IOException {
        if (ProcessCalls.getuid() != 0) {
            if (run(List.of(FUSERMOUNT, "-u", "-z", "-q", "--", target.toString())) != 0) {
                throw new IOException("fusermount3 -u -z failed for " + target);
            }
            return;
        }
        try {
            MountCalls.umount2(target.toString(), MountCalls.MNT_DETACH);
        } catch (ErrnoException e) {
            throw new IOException("cannot unmount " + target + ": " + e.getMessage());
        }
    }

    private static int run(List<String> command) throws IOException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.getFirst());
        }
    }

    /** Writes 1 to /sys/fs/fuse/connections/N/abort: every request fails, the daemon's reads get ENODEV. */
    public static void abortConnection(int connection) {
        try {
            Files.writeString(abortFile(connection), "1");
        } catch (IOException e) {
            // fusectl not mounted or connection already gone: nothing more to do.
        }
    }

    /** /sys/fs/fuse/connections/N/abort, with fusectl mounted there first when it is not and this is root. */
    public static Path abortFile(int connection) {
        Path dir = Path.of("/sys/fs/fuse/connections");
        if (!Files.exists(dir.resolve(String.valueOf(connection))) && Files.isDirectory(dir)
                && ProcessCalls.getuid() == 0) {
            try {
                MountCalls.mount("fusectl", dir.toString(), "fusectl", 0, "");   // not mounted on every system
            } catch (ErrnoException e) {
                // EBUSY: already mounted; anything else: no way to abort, the caller goes on
            }
        }
        return dir.resolve(connection + "/abort");
    }

    /** One line of /proc/self/mountinfo. */
    public record MountInfo(int major, int minor, String mountPoint, String fsType, String source) {}

    /** The last (topmost) mount at {@code mountPoint}, or null. */
    public static MountInfo findMount(Path mountPoint) throws IOException {
        String wanted = mountPoint.toString();
        MountInfo found = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length < 10 || !unescape(f[4]).equals(wanted)) {
                continue;
            }
            int sep = line.indexOf(" - ");
            String[] tail = line.substring(sep + 3).split(" ");
            String[] dev = f[2].split(":");
            found = new MountInfo(Integer.parseInt(dev[0]), Integer.parseInt(dev[1]), wanted, tail[0],
                    tail.length > 1 ? unescape(tail[1]) : "");
        }
        return found;
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    public static void closeQuietly(int fd) {
        FileCalls.closeQuietly(fd);
    }
}
