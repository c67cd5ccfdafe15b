package dev.fsdriver.backend.windows;

import com.sun.jna.Memory;
import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.DirInfoParser.DirInfo;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Directory listing: FileIdExtdDirectoryInfo, else FileIdBothDirectoryInfo (a volume that refuses
 * one falls back for good, see {@link VolumeFeatures}), else java.nio with one stat per name.
 * Attributes come from the listing records where they suffice ({@link WindowsAttributes#fromListing}).
 */
final class WindowsListing {
    private final WindowsBackend backend;
    private final WindowsAttributes fileAttrs;
    private final VolumeFeatures features;

    WindowsListing(WindowsBackend backend, WindowsAttributes fileAttrs, VolumeFeatures features) {
        this.backend = backend;
        this.fileAttrs = fileAttrs;
        this.features = features;
    }

    /** The entries of {@code dir} with their attributes, by the best listing class the volume has. */
    List<DirEntry> list(RelPath dir) throws FsException {
        List<DirInfo> infos = new ArrayList<>();
        boolean timesMove;
        try (Handle h = backend.openPath(dir, Win32.FILE_LIST_DIRECTORY | WindowsBackend.META, Win32.OPEN_EXISTING, 0)) {
            Scratch s = Scratch.get();
            Win32.GetFileInformationByHandleEx(h.h, Structs.FileBasicInfo, s.small.share(Scratch.BASIC), Structs.BASIC_INFO_SIZE);
            int a = Structs.BasicInfo.read(s.smallBuffer(Scratch.BASIC, Structs.BASIC_INFO_SIZE)).attributes();
            if (!WinAttributes.isDirectory(a, ShareDirs.attributeTag(h).reparseTag())) { // B4: OneDrive directories list
                throw new FsException(Errno.ENOTDIR, "list " + dir);
            }
            timesMove = fileAttrs.timesMove(h);
            if (!readListing(h, dir, infos)) {
                return listWithNio(dir);
            }
        } catch (WindowsException e) {
            throw backend.error(e, "list", dir);
        }
        List<DirEntry> out = new ArrayList<>(infos.size());
        for (DirInfo d : infos) {
            String name = NameEscaping.fromWindows(d.name());
            try {
                RelPath.checkName(name);
                out.add(new DirEntry(name, fileAttrs.fromListing(d, dir, timesMove)));
            } catch (FsException e) {
                // raced with a delete (for the few entries that are opened), or a name Linux cannot hold
            }
        }
        return out;
    }

    /** Fills {@code out} by the best listing class; false if only the nio fallback is left. */
    private boolean readListing(Handle h, RelPath dir, List<DirInfo> out) throws WindowsException {
        Memory buf = Scratch.get().list();
        while (true) {
            boolean extd = features.has(Feature.EXTD_DIR_INFO);
            if (!extd && !features.has(Feature.ID_BOTH_DIR_INFO)) {
                return false;
            }
            DirInfoParser.Layout layout = extd ? DirInfoParser.Layout.ID_EXTD : DirInfoParser.Layout.ID_BOTH;
            int restart = extd ? Structs.FileIdExtdDirectoryRestartInfo : Structs.FileIdBothDirectoryRestartInfo;
            int next = extd ? Structs.FileIdExtdDirectoryInfo : Structs.FileIdBothDirectoryInfo;
            boolean first = true;
            try {
                while (true) {
                    try {
                        Win32.GetFileInformationByHandleEx(h.h, first ? restart : next, buf, Scratch.LIST_SIZE);
                    } catch (WindowsException e) {
                        if (e.win32Error() == WinErrors.ERROR_NO_MORE_FILES
                                || (first && e.win32Error() == WinErrors.ERROR_FILE_NOT_FOUND)) {
                            return true;
                        }
                        throw e;
                    }
                    first = false;
                    DirInfoParser.parse(buf.getByteBuffer(0, Scratch.LIST_SIZE), Scratch.LIST_SIZE, layout, out);
                }
            } catch (WindowsException e) {
                if (!first || !e.isUnsupported()) {
                    throw e;
                }
                features.fallBack(extd ? Feature.EXTD_DIR_INFO : Feature.ID_BOTH_DIR_INFO, e.getMessage());
            }
        }
    }

    /** Last resort: java.nio names, one stat each ({@link NioListing}). */
    private List<DirEntry> listWithNio(RelPath dir) throws FsException {
        return NioListing.list(dir, LongPaths.stripPrefix(backend.path(dir)), d -> Files.newDirectoryStream(Path.of(d)), backend::stat);
    }
}
