package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;

/**
 * setattr over Windows: size by FileEndOfFileInfo, times and the read-only attribute (chmod's only
 * trace without metadata) by FileBasicInfo, and with metadata on mode, uid and gid in the $LX EAs.
 * Without metadata, chown to anyone but the share's owner is EPERM.
 */
final class WindowsSetattr {
    private final WindowsBackend backend;
    private final WindowsAttributes fileAttrs;
    private final WindowsBackend.Options options;
    private final VolumeFeatures features;

    WindowsSetattr(WindowsBackend backend, WindowsAttributes fileAttrs, WindowsBackend.Options options, VolumeFeatures features) {
        this.backend = backend;
        this.fileAttrs = fileAttrs;
        this.options = options;
        this.features = features;
    }

    /** Applies {@code changes} to {@code path} (through {@code file} where it helps); the backend checked read-only. */
    FileAttributes setattr(RelPath path, OpenFile file, SetAttributes changes) throws FsException {
        boolean md = options.metadata() && features.has(Feature.EXTENDED_ATTRIBUTES);
        if (!md && (changes.uid().isPresent() || changes.gid().isPresent())) {
            if (changes.uid().orElse(options.uid()) != options.uid() || changes.gid().orElse(options.gid()) != options.gid()) {
                throw new FsException(Errno.EPERM, "chown needs the share's metadata option");
            }
        }
        if (changes.size().isPresent() && file instanceof WindowsOpenFile w) {
            w.truncate(changes.size().getAsLong());
        }
        int access = WindowsBackend.META | Win32.FILE_WRITE_ATTRIBUTES | (md ? Win32.FILE_READ_EA | Win32.FILE_WRITE_EA : 0)
                | (changes.size().isPresent() && !(file instanceof WindowsOpenFile) ? Win32.GENERIC_WRITE : 0);
        try (Handle h = backend.openPath(path, access, Win32.OPEN_EXISTING, 0)) {
            if (changes.size().isPresent() && !(file instanceof WindowsOpenFile)) {
                backend.checkOpenable(h, path);
                backend.setEndOfFile(h, changes.size().getAsLong());
            }
            int newAttributes = 0;
            if (changes.mode().isPresent()) {
                Scratch s = Scratch.get();
                Win32.GetFileInformationByHandleEx(h.h, Structs.FileBasicInfo, s.small.share(Scratch.BASIC), Structs.BASIC_INFO_SIZE);
                int a = Structs.BasicInfo.read(s.smallBuffer(Scratch.BASIC, Structs.BASIC_INFO_SIZE)).attributes();
                int na = ModeMapping.attributesForChmod(a, (a & WinAttributes.FILE_ATTRIBUTE_DIRECTORY) != 0, changes.mode().getAsInt());
                if (na != -1 && (na & WinAttributes.FILE_ATTRIBUTE_READONLY) != (a & WinAttributes.FILE_ATTRIBUTE_READONLY)) {
                    newAttributes = na;
                }
            }
            long atime = fileTimeFor(changes.atime());
            long mtime = fileTimeFor(changes.mtime());
            if (atime != 0 || mtime != 0 || newAttributes != 0) {
                // Through the caller's open file when there is one: NTFS then does not overwrite an
                // explicitly set time when that handle's cached writes are flushed or it is closed.
                int attributes = newAttributes;
                if (!(file instanceof WindowsOpenFile w && w.withAttributeHandle(via -> {
                    setBasic(via, atime, mtime, attributes);
                    return null;
                }))) {
                    setBasic(h, atime, mtime, newAttributes);
                }
            }
            if (md && (changes.mode().isPresent() || changes.uid().isPresent() || changes.gid().isPresent())) {
                FileAttributes cur = fileAttrs.read(h, path);
                fileAttrs.setMetadata(h, new LxEa.Metadata(changes.uid().isPresent() ? changes.uid().getAsInt() : null,
                        changes.gid().isPresent() ? changes.gid().getAsInt() : null,
                        changes.mode().isPresent() ? (cur.mode() & FileMode.S_IFMT) | (changes.mode().getAsInt() & FileMode.PERMISSIONS) : null,
                        null));
            }
            return fileAttrs.read(h, path);
        } catch (WindowsException e) {
            throw backend.error(e, "setattr", path);
        }
    }

    /** UTIME_OMIT (null) is 0 = unchanged; UTIME_NOW is the precise system time. */
    private static long fileTimeFor(SetAttributes.TimeChange t) {
        if (t == null) {
            return FileTimes.UNCHANGED;
        }
        return t.now() ? Win32.GetSystemTimePreciseAsFileTime() : FileTimes.toFileTime(t.ns());
    }

    private void setBasic(Handle h, long atime, long mtime, int attributes) throws WindowsException {
        Scratch s = Scratch.get();
        new Structs.BasicInfo(0, atime, mtime, 0, attributes).write(s.smallBuffer(Scratch.SET, Structs.BASIC_INFO_SIZE));
        Win32.SetFileInformationByHandle(h.h, Structs.FileBasicInfo, s.small.share(Scratch.SET), Structs.BASIC_INFO_SIZE);
    }
}
