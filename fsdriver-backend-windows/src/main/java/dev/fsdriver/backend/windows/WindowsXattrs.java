package dev.fsdriver.backend.windows;

import com.sun.jna.Memory;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.NtCalls;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.Xattrs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * user.* extended attributes of the Windows backend: NTFS EAs named and stored as
 * {@link UserXattrEa} says, through a handle opened as every other operation opens one (a final
 * link as the link itself, inside the share by construction). A volume without EAs (FAT, Wine)
 * answers EOPNOTSUPP, and lists none.
 *
 * <p>XATTR_CREATE and XATTR_REPLACE are checked, then the EA written: two programs racing to
 * create the same name may both succeed, the later value winning (NTFS has no create-only EA write).
 */
final class WindowsXattrs {
    /** Whole EA list of a file: NTFS keeps at most 64 KiB of EAs per file. */
    private static final int LIST_BUFFER = 65536 + 4096;
    private static final int READ = WindowsBackend.META | Win32.FILE_READ_EA;
    private static final int WRITE = READ | Win32.FILE_WRITE_EA;

    private final WindowsBackend backend;
    private final VolumeFeatures features;

    WindowsXattrs(WindowsBackend backend, VolumeFeatures features) {
        this.backend = backend;
        this.features = features;
    }

    private void supported(String op, RelPath path) throws FsException {
        if (!features.has(Feature.EXTENDED_ATTRIBUTES)) {
            throw new FsException(Errno.EOPNOTSUPP, op + " '" + path + "': the volume keeps no extended attributes");
        }
    }

    byte[] get(RelPath path, String name) throws FsException {
        supported("getxattr", path);
        String ea = UserXattrEa.eaName(name);
        try (Handle h = backend.openPath(path, READ, Win32.OPEN_EXISTING, 0)) {
            byte[] v = UserXattrEa.value(query(h, ea));
            if (v == null) {
                throw new FsException(Errno.ENODATA, "getxattr '" + path + "' " + name);
            }
            return v;
        } catch (WindowsException e) {
            throw backend.error(e, "getxattr", path);
        }
    }

    List<String> list(RelPath path) throws FsException {
        if (!features.has(Feature.EXTENDED_ATTRIBUTES)) {
            backend.stat(path);
            return List.of();
        }
        try (Handle h = backend.openPath(path, READ, Win32.OPEN_EXISTING, 0);
             Memory buf = new Memory(LIST_BUFFER)) {
            int n;
            try {
                n = NtCalls.NtQueryEaFile(h.h, buf, LIST_BUFFER, null, 0);
            } catch (WindowsException e) {
                if (e.errno() == Errno.ENODATA) {
                    return List.of(); // STATUS_NO_EAS_ON_FILE
                }
                throw e;
            }
            return UserXattrEa.names(LxEa.decodeFull(buf.getByteBuffer(0, LIST_BUFFER), n));
        } catch (WindowsException e) {
            throw backend.error(e, "listxattr", path);
        }
    }

    void set(RelPath path, String name, byte[] value, int flags) throws FsException {
        supported("setxattr", path);
        String ea = UserXattrEa.eaName(name);
        byte[] stored = UserXattrEa.stored(value);
        try (Handle h = backend.openPath(path, WRITE, Win32.OPEN_EXISTING, 0)) {
            notALink(h, path, "setxattr");
            boolean exists = UserXattrEa.value(query(h, ea)) != null;
            if (exists && (flags & Xattrs.XATTR_CREATE) != 0) {
                throw new FsException(Errno.EEXIST, "setxattr '" + path + "' " + name);
            }
            if (!exists && (flags & Xattrs.XATTR_REPLACE) != 0) {
                throw new FsException(Errno.ENODATA, "setxattr '" + path + "' " + name);
            }
            write(h, ea, stored);
        } catch (WindowsException e) {
            throw backend.error(e, "setxattr", path);
        }
    }

    void remove(RelPath path, String name) throws FsException {
        supported("removexattr", path);
        String ea = UserXattrEa.eaName(name);
        try (Handle h = backend.openPath(path, WRITE, Win32.OPEN_EXISTING, 0)) {
            notALink(h, path, "removexattr");
            if (UserXattrEa.value(query(h, ea)) == null) {
                throw new FsException(Errno.ENODATA, "removexattr '" + path + "' " + name);
            }
            write(h, ea, new byte[0]); // an empty value deletes the EA
        } catch (WindowsException e) {
            throw backend.error(e, "removexattr", path);
        }
    }

    /** Linux: user.* on a symlink (or special file) is EPERM. */
    private void notALink(Handle h, RelPath path, String op) throws FsException, WindowsException {
        int mode = backend.attrs(h, path).mode();
        if (!FileMode.isRegular(mode) && !FileMode.isDirectory(mode)) {
            throw new FsException(Errno.EPERM, op + " '" + path + "': user.* only on files and directories");
        }
    }

    /** The raw EA value of {@code ea}, empty when the file has no such EA. */
    private static byte[] query(Handle h, String ea) throws WindowsException {
        byte[] list = LxEa.encodeGetList(ea);
        try (Memory in = new Memory(list.length); Memory out = new Memory(LIST_BUFFER)) {
            in.write(0, list, 0, list.length);
            int n;
            try {
                n = NtCalls.NtQueryEaFile(h.h, out, LIST_BUFFER, in, list.length);
            } catch (WindowsException e) {
                if (e.errno() == Errno.ENODATA) {
                    return new byte[0]; // STATUS_NO_EAS_ON_FILE
                }
                throw e;
            }
            Map<String, byte[]> got = LxEa.decodeFull(out.getByteBuffer(0, LIST_BUFFER), n);
            return got.values().stream().findFirst().orElse(new byte[0]);
        }
    }

    private static void write(Handle h, String ea, byte[] stored) throws WindowsException {
        Map<String, byte[]> one = new LinkedHashMap<>();
        one.put(ea, stored);
        byte[] enc = LxEa.encodeFull(one);
        try (Memory mem = new Memory(enc.length)) {
            mem.write(0, enc, 0, enc.length);
            NtCalls.NtSetEaFile(h.h, mem, enc.length);
        }
    }
}
