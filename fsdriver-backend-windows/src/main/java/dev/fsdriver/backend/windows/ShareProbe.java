package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.NtCalls;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the share root and its volume are, asked once when a share opens: the root's final path,
 * the volume's serial (from FileIdInfo where it answers), its features (Wine: no usable
 * CreationTime) and whether the root
 * directory is case-sensitive. A feature the root refuses is a fallback taken for the whole volume.
 *
 * @param longRoot the root as a {@code \\?\} path
 * @param rootFinal GetFinalPathNameByHandleW of the root (a link or junction root is followed)
 */
record ShareProbe(String longRoot, String rootFinal, VolumeFeatures features, long serial, boolean caseSensitiveRoot) {
    private static final Logger LOG = LoggerFactory.getLogger(WindowsBackend.class);

    /** Opens {@code root} (a directory, followed if a link) and probes it; logs what it found. */
    static ShareProbe probe(Path root, WindowsBackend.Options options) throws FsException {
        String longRoot = LongPaths.toLongPath(root.toAbsolutePath().toString());
        // The root itself may be a link or junction: follow it (children are then under its target).
        try (Handle h = new Handle(Win32.CreateFileW(longRoot, WindowsBackend.META, Win32.OPEN_EXISTING, Win32.FILE_FLAG_BACKUP_SEMANTICS))) {
            Scratch s = Scratch.get();
            Win32.GetFileInformationByHandleEx(h.h, Structs.FileStandardInfo, s.small.share(Scratch.STANDARD), Structs.STANDARD_INFO_SIZE);
            if (!Structs.StandardInfo.read(s.smallBuffer(Scratch.STANDARD, Structs.STANDARD_INFO_SIZE)).directory()) {
                throw new FsException(Errno.ENOTDIR, "share root " + root + " is not a directory");
            }
            String rootFinal = Win32.GetFinalPathNameByHandleW(h.h, s.path);
            Win32.VolumeInformation vi = Win32.GetVolumeInformationByHandleW(h.h);
            long serial = Integer.toUnsignedLong(vi.serial());
            WindowsException idInfoError = null;
            try {
                Win32.GetFileInformationByHandleEx(h.h, Structs.FileIdInfo, s.small.share(Scratch.ID), Structs.ID_INFO_SIZE);
                serial = Structs.IdInfo.read(s.smallBuffer(Scratch.ID, Structs.ID_INFO_SIZE)).volumeSerial();
            } catch (WindowsException e) {
                idInfoError = e;
            }
            // an SMB server says "NTFS" whatever it serves: the remote flag keeps dir-times-move off
            boolean remote = VolumeFeatures.remote(longRoot, rootFinal, Win32::GetDriveTypeW);
            VolumeFeatures features = new VolumeFeatures(vi.fileSystemName(), vi.flags(), serial, vi.maxComponentLength(),
                    remote);
            if (idInfoError != null) {
                features.fallBack(Feature.FILE_ID_INFO, idInfoError.getMessage());
            }
            String wine = NtCalls.wineVersion();
            if (wine != null) {
                // Seen under Wine 8: the CreationTime moves on every write, like the host's ctime.
                features.fallBack(Feature.CREATION_TIME, "Wine " + wine + " reports a CreationTime that changes with the file");
            }
            boolean caseSensitiveRoot = false;
            try {
                Win32.GetFileInformationByHandleEx(h.h, Structs.FileCaseSensitiveInfo, s.small.share(Scratch.SET), 4);
                caseSensitiveRoot = (s.small.getInt(Scratch.SET) & Structs.FILE_CS_FLAG_CASE_SENSITIVE_DIR) != 0;
            } catch (WindowsException e) {
                features.fallBack(Feature.CASE_SENSITIVE_DIRS, e.getMessage());
            }
            if (options.metadata() && !features.has(Feature.EXTENDED_ATTRIBUTES)) {
                LOG.warn("share {}: metadata requested but {} has no extended attributes; modes come from attributes", root,
                        vi.fileSystemName());
            }
            LOG.info("share {} on {}{} (serial {}, flags 0x{}): {} names, metadata {}", rootFinal, vi.fileSystemName(),
                    remote ? " over the network" : "", Long.toHexString(serial), Integer.toHexString(vi.flags()),
                    caseSensitiveRoot ? "case-sensitive" : "case-insensitive", options.metadata() ? "on" : "off");
            return new ShareProbe(longRoot, rootFinal, features, serial, caseSensitiveRoot);
        } catch (WindowsException e) {
            throw e.toFsException("open share " + root);
        }
    }
}
