package dev.fsdriver.backend.windows;

import com.sun.jna.Memory;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.DirInfoParser.DirInfo;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.NtCalls;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import java.nio.charset.StandardCharsets;

/**
 * A file's POSIX attributes as Windows gives them: read by handle (basic, standard, id and
 * reparse-tag information, the $LXUID/$LXGID/$LXMOD EAs when metadata is on) or from a listing
 * record, mapped by {@link AttributeMapping}; inode numbers from {@link InodeNumbers}. Also writes
 * the $LX metadata of new files. Thread-safe: {@link VolumeFeatures} and {@link InodeNumbers} guard
 * themselves, scratch buffers are per thread.
 */
final class WindowsAttributes {
    private final WindowsBackend backend;
    private final WindowsBackend.Options options;
    private final VolumeFeatures features;
    private final InodeNumbers inodes;
    private final AttributeMapping mapping;
    private final String rootDos;

    WindowsAttributes(WindowsBackend backend, WindowsBackend.Options options, VolumeFeatures features,
            InodeNumbers inodes, String rootDos) {
        this.backend = backend;
        this.options = options;
        this.features = features;
        this.inodes = inodes;
        this.mapping = new AttributeMapping(new ModeMapping(options.uid(), options.gid(), options.umask()),
                features.has(Feature.CREATION_TIME));
        this.rootDos = rootDos;
    }

    /** Attributes of the open file {@code h} (at share path {@code p}, for fallbacks and link targets). */
    FileAttributes read(Handle h, RelPath p) throws WindowsException, FsException {
        Scratch s = Scratch.get();
        Win32.GetFileInformationByHandleEx(h.h, Structs.FileBasicInfo, s.small.share(Scratch.BASIC), Structs.BASIC_INFO_SIZE);
        Win32.GetFileInformationByHandleEx(h.h, Structs.FileStandardInfo, s.small.share(Scratch.STANDARD), Structs.STANDARD_INFO_SIZE);
        Structs.BasicInfo basic = Structs.BasicInfo.read(s.smallBuffer(Scratch.BASIC, Structs.BASIC_INFO_SIZE));
        Structs.StandardInfo std = Structs.StandardInfo.read(s.smallBuffer(Scratch.STANDARD, Structs.STANDARD_INFO_SIZE));
        InodeNumbers.IdOnce id = new InodeNumbers.IdOnce(idQuery(h));
        long ino = inodes.forFile(features, id, p.toString());
        int tag = 0;
        if ((basic.attributes() & WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
            Win32.GetFileInformationByHandleEx(h.h, Structs.FileAttributeTagInfo, s.small.share(Scratch.TAG),
                    Structs.ATTRIBUTE_TAG_INFO_SIZE);
            tag = Structs.AttributeTagInfo.read(s.smallBuffer(Scratch.TAG, 8)).reparseTag();
        }
        LxEa.Metadata md = metadata(h);
        boolean link = (basic.attributes() & WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT) != 0 && WinAttributes.isLinkTag(tag);
        FileAttributes a = mapping.fromHandle(ino, basic, std, tag, md, link ? linkSize(h, p) : 0);
        return a.isDirectory() ? a.withTimesMove(timesMove(h, id)) : a;
    }

    /** Whether directory {@code h}'s times move ({@link VolumeFeatures#timesMove}), for a listing. */
    boolean timesMove(Handle h) {
        return timesMove(h, idQuery(h));
    }

    /** {@code id}: {@code h}'s FileIdInfo, as {@link #read} already asked it for the inode number. */
    private boolean timesMove(Handle h, InodeNumbers.IdQuery id) {
        return features.timesMove(id, () -> Integer.toUnsignedLong(Win32.GetVolumeInformationByHandleW(h.h).serial()));
    }

    /** {@code h}'s FileIdInfo query (the scratch buffer is read into a record at once). */
    private static InodeNumbers.IdQuery idQuery(Handle h) {
        return () -> {
            Scratch s = Scratch.get();
            Win32.GetFileInformationByHandleEx(h.h, Structs.FileIdInfo, s.small.share(Scratch.ID), Structs.ID_INFO_SIZE);
            return Structs.IdInfo.read(s.smallBuffer(Scratch.ID, Structs.ID_INFO_SIZE));
        };
    }

    private LxEa.Metadata metadata(Handle h) {
        if (!options.metadata() || !features.has(Feature.EXTENDED_ATTRIBUTES)) {
            return LxEa.Metadata.NONE;
        }
        Scratch s = Scratch.get();
        byte[] list = LxEa.encodeGetList(LxEa.LXUID, LxEa.LXGID, LxEa.LXMOD);
        s.small.write(Scratch.EA_LIST, list, 0, list.length);
        try {
            int n = NtCalls.NtQueryEaFile(h.h, s.small.share(Scratch.EA_DATA), Scratch.SMALL_SIZE - Scratch.EA_DATA,
                    s.small.share(Scratch.EA_LIST), list.length);
            return LxEa.fromValues(LxEa.decodeFull(s.smallBuffer(Scratch.EA_DATA, Scratch.SMALL_SIZE - Scratch.EA_DATA), n));
        } catch (WindowsException e) {
            if (e.ntStatus() == WinErrors.STATUS_EAS_NOT_SUPPORTED || e.isUnsupported()) {
                features.fallBack(Feature.EXTENDED_ATTRIBUTES, e.getMessage());
            }
            return LxEa.Metadata.NONE; // STATUS_NO_EAS_ON_FILE and the like: no metadata
        } catch (IllegalArgumentException e) {
            return LxEa.Metadata.NONE;
        }
    }

    LxEa.Metadata newMetadata(Owner owner, int mode) {
        return LxSpecialFiles.metadata(owner, options.uid(), options.gid(), mode);
    }

    boolean metadataOn() {
        return options.metadata() && features.has(Feature.EXTENDED_ATTRIBUTES);
    }

    void setMetadata(Handle h, LxEa.Metadata m) throws WindowsException {
        byte[] enc = LxEa.encodeFull(LxEa.values(m));
        try (Memory mem = new Memory(enc.length)) {
            mem.write(0, enc, 0, enc.length);
            NtCalls.NtSetEaFile(h.h, mem, enc.length);
        }
    }

    ReparseData.Link readReparse(Handle h) throws WindowsException, FsException {
        Memory buf = Scratch.get().reparse();
        int n = Win32.DeviceIoControl(h.h, Win32.FSCTL_GET_REPARSE_POINT, null, 0, buf, ReparseData.MAX_SIZE);
        return ReparseData.parse(buf.getByteBuffer(0, n), n);
    }

    private long linkSize(Handle h, RelPath p) {
        try {
            return ReparseData.toPosixTarget(readReparse(h), rootDos, p.parent())
                    .getBytes(StandardCharsets.UTF_8).length;
        } catch (WindowsException | FsException e) {
            return 0;
        }
    }

    /**
     * Attributes from a listing record; entries it cannot describe (links, metadata) are opened.
     * {@code timesMove}: the listed directory's own answer ({@link #timesMove}), which its plain
     * subdirectories share (a volume mounted in a folder is a reparse point, opened).
     */
    FileAttributes fromListing(DirInfo d, RelPath dir, boolean timesMove) throws FsException {
        long ino = InodeNumbers.isUnusable(d.fileIdHigh(), d.fileIdLow()) || !features.has(Feature.FILE_ID_INFO)
                ? inodes.forPath(dir.resolve(NameEscaping.fromWindows(d.name())).toString())
                : inodes.ino(features.serial(), d.fileIdHigh(), d.fileIdLow());
        if (AttributeMapping.needsOpen(d, options.metadata() && features.has(Feature.EXTENDED_ATTRIBUTES))) {
            return backend.stat(dir.resolve(NameEscaping.fromWindows(d.name())));
        }
        FileAttributes a = mapping.fromDirInfo(ino, d);
        return a.isDirectory() && timesMove ? a.withTimesMove(true) : a;
    }

    /** FILE_READ_EA when metadata is on: a handle that reads attributes reads the $LX EAs too. */
    int eaRead() {
        return options.metadata() ? Win32.FILE_READ_EA : 0;
    }
}
