package dev.fsdriver.backend.windows;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.FsStats;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.Owner;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.backend.windows.DirInfoParser.DirInfo;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A share on an NTFS (or ReFS, FAT, SMB) directory, with POSIX meaning where Windows can give it.
 * See docs/windows.md and research/windows-mapping.md.
 *
 * <p>Every operation opens a handle by its {@code \\?\} path with FILE_SHARE_READ|WRITE|DELETE and
 * FILE_FLAG_OPEN_REPARSE_POINT (a final link is the link itself), does its work by handle, and
 * closes it. Containment: links in the middle of a path are followed by Windows, so for paths
 * with intermediate components the handle's final path must lie under the share root's final
 * path, else ELOOP (the handle-relative NtCreateFile walk that would refuse such links outright
 * is future work). Win32 errors become errno in one place, {@link #error}.
 *
 * <p>Thread-safe: no shared mutable state besides {@link VolumeFeatures} and {@link InodeNumbers},
 * which guard themselves; native scratch buffers are per thread.
 */
public final class WindowsBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(WindowsBackend.class);
    static final int META = Win32.FILE_READ_ATTRIBUTES | Win32.SYNCHRONIZE;

    /** How new symbolic links are stored. */
    public enum SymlinkStyle {
        /** IO_REPARSE_TAG_LX_SYMLINK, as WSL writes them: no privilege needed, any target. */
        WSL,
        /** Native NTFS symlinks for relative targets (Windows programs follow them); WSL-style otherwise. */
        NATIVE
    }

    /**
     * Per-share options.
     *
     * @param metadata store and read uid/gid/mode in $LXUID/$LXGID/$LXMOD (drvfs -o metadata)
     * @param uid owner shown when there is no metadata
     * @param gid group shown when there is no metadata
     * @param umask removed from rwxrwxrwx when there is no metadata
     * @param inodeStore where 128-bit file ids are mapped persistently (null: in memory)
     */
    public record Options(boolean metadata, SymlinkStyle symlinks, int uid, int gid, int umask, Path inodeStore) {
        public static final Options DEFAULTS = new Options(false, SymlinkStyle.WSL, 1000, 1000, 022, null);
    }

    private final String root; // \\?\C:\share
    private final String rootFinal; // GetFinalPathNameByHandleW of the root
    private final String rootDos; // C:\share (for symlink targets)
    private final boolean readOnly;
    private final Options options;
    private final VolumeFeatures features;
    private final InodeNumbers inodes;
    private final AttributeMapping mapping;
    private final boolean caseInsensitive;
    private final ShareDirs dirs;
    private final WindowsRename renames;
    private final WindowsDelete deletes;
    private final WindowsXattrs xattrs;

    private WindowsBackend(String root, String rootFinal, boolean readOnly, Options options, VolumeFeatures features,
            InodeNumbers inodes, boolean caseInsensitive) {
        this.root = root;
        this.rootFinal = rootFinal;
        this.rootDos = LongPaths.stripPrefix(rootFinal);
        this.readOnly = readOnly;
        this.options = options;
        this.features = features;
        this.inodes = inodes;
        this.mapping = new AttributeMapping(new ModeMapping(options.uid(), options.gid(), options.umask()));
        this.caseInsensitive = caseInsensitive;
        this.dirs = new ShareDirs(root, rootFinal);
        this.renames = new WindowsRename(this, dirs, features);
        this.deletes = new WindowsDelete(this, features);
        this.xattrs = new WindowsXattrs(this, features);
    }

    /** Opens the share at {@code root} with default options (what {@link WindowsBackendProvider} opens). */
    public static WindowsBackend open(Path root, boolean readOnly) throws FsException {
        return open(root, readOnly, Options.DEFAULTS);
    }

    /** Opens the share at {@code root}, probing the volume's features once. */
    public static WindowsBackend open(Path root, boolean readOnly, Options options) throws FsException {
        if (!System.getProperty("os.name", "").startsWith("Windows")) {
            throw new FsException(Errno.ENOSYS, "the windows backend runs on Windows only (this is " + System.getProperty("os.name") + ")");
        }
        String longRoot = LongPaths.toLongPath(root.toAbsolutePath().toString());
        // The root itself may be a link or junction: follow it (children are then under its target).
        try (Handle h = new Handle(Win32.CreateFileW(longRoot, META, Win32.OPEN_EXISTING, Win32.FILE_FLAG_BACKUP_SEMANTICS))) {
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
            VolumeFeatures features = new VolumeFeatures(vi.fileSystemName(), vi.flags(), serial, vi.maxComponentLength());
            if (idInfoError != null) {
                features.fallBack(Feature.FILE_ID_INFO, idInfoError.getMessage());
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
            LOG.info("share {} on {} (serial {}, flags 0x{}): {} names, metadata {}", rootFinal, vi.fileSystemName(),
                    Long.toHexString(serial), Integer.toHexString(vi.flags()),
                    caseSensitiveRoot ? "case-sensitive" : "case-insensitive", options.metadata() ? "on" : "off");
            return new WindowsBackend(longRoot, rootFinal, readOnly, options, features,
                    new InodeNumbers(serial, options.inodeStore()), !caseSensitiveRoot);
        } catch (WindowsException e) {
            throw e.toFsException("open share " + root);
        }
    }

    @Override
    public String kind() {
        return "windows";
    }

    @Override
    public boolean caseInsensitive() {
        return caseInsensitive;
    }

    /** The volume's features and the fallbacks taken so far. */
    public VolumeFeatures features() {
        return features;
    }

    // ---- paths, handles, errors ----

    String path(RelPath p) throws FsException {
        return LongPaths.resolve(root, p);
    }

    /**
     * Opens or creates {@code p} (sharing RWD, a final link as the link itself, directories
     * allowed) relative to its verified parent directory: see {@link ShareDirs}, which keeps every
     * object inside the share by construction. {@code disposition} is CreateFileW's (OPEN_EXISTING,
     * CREATE_NEW, OPEN_ALWAYS); {@code attributes} are FILE_ATTRIBUTE_* for a new file. The root is
     * opened following a link, as at {@link #open}.
     */
    Handle openPath(RelPath p, int access, int disposition, int attributes) throws FsException, WindowsException {
        if (p.isRoot()) {
            return dirs.openRoot(access);
        }
        int nt = switch (disposition) {
            case Win32.OPEN_EXISTING -> Win32.FILE_OPEN;
            case Win32.CREATE_NEW -> Win32.FILE_CREATE;
            case Win32.OPEN_ALWAYS -> Win32.FILE_OPEN_IF;
            default -> throw new IllegalArgumentException("disposition " + disposition);
        };
        try (Handle parent = dirs.openDir(p.parent())) {
            return dirs.openAt(parent, p, access, attributes, nt, 0);
        }
    }

    private void writable() throws FsException {
        if (readOnly) {
            throw new FsException(Errno.EROFS, "share is read-only");
        }
    }

    /** The one translation of Win32 failures to errno, with the context only the caller's path gives. */
    FsException error(WindowsException e, String op, RelPath p) {
        if (e.win32Error() == WinErrors.ERROR_PATH_NOT_FOUND && p.depth() >= 2 && middleIsFile(p)) {
            return new FsException(Errno.ENOTDIR, op + " " + p + ": a component in the middle is not a directory");
        }
        if (e.win32Error() == WinErrors.ERROR_ACCESS_DENIED && (op.equals("open") || op.equals("create") || op.equals("setattr"))
                && isDirectoryAttr(p)) {
            return new FsException(Errno.EISDIR, op + " " + p + " for writing: it is a directory");
        }
        return e.toFsException(op + " " + p);
    }

    private boolean isDirectoryAttr(RelPath p) {
        try {
            return (Win32.GetFileAttributesW(path(p)) & WinAttributes.FILE_ATTRIBUTE_DIRECTORY) != 0;
        } catch (WindowsException | FsException e) {
            return false;
        }
    }

    private boolean middleIsFile(RelPath p) {
        try {
            for (RelPath q = p.parent(); !q.isRoot(); q = q.parent()) {
                try {
                    int a = Win32.GetFileAttributesW(path(q));
                    return (a & WinAttributes.FILE_ATTRIBUTE_DIRECTORY) == 0;
                } catch (WindowsException e) {
                    // this prefix is missing too: look further up
                }
            }
        } catch (FsException e) {
            return false;
        }
        return false;
    }

    // ---- attributes ----

    /** Attributes of the open file {@code h} (at share path {@code p}, for fallbacks and link targets). */
    FileAttributes attrs(Handle h, RelPath p) throws WindowsException, FsException {
        Scratch s = Scratch.get();
        Win32.GetFileInformationByHandleEx(h.h, Structs.FileBasicInfo, s.small.share(Scratch.BASIC), Structs.BASIC_INFO_SIZE);
        Win32.GetFileInformationByHandleEx(h.h, Structs.FileStandardInfo, s.small.share(Scratch.STANDARD), Structs.STANDARD_INFO_SIZE);
        Structs.BasicInfo basic = Structs.BasicInfo.read(s.smallBuffer(Scratch.BASIC, Structs.BASIC_INFO_SIZE));
        Structs.StandardInfo std = Structs.StandardInfo.read(s.smallBuffer(Scratch.STANDARD, Structs.STANDARD_INFO_SIZE));
        long ino = fileIno(h, p);
        int tag = 0;
        if ((basic.attributes() & WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
            Win32.GetFileInformationByHandleEx(h.h, Structs.FileAttributeTagInfo, s.small.share(Scratch.TAG),
                    Structs.ATTRIBUTE_TAG_INFO_SIZE);
            tag = Structs.AttributeTagInfo.read(s.smallBuffer(Scratch.TAG, 8)).reparseTag();
        }
        LxEa.Metadata md = metadata(h);
        boolean link = (basic.attributes() & WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT) != 0 && WinAttributes.isLinkTag(tag);
        return mapping.fromHandle(ino, basic, std, tag, md, link ? linkSize(h, p) : 0);
    }

    private long fileIno(Handle h, RelPath p) {
        if (features.has(Feature.FILE_ID_INFO)) {
            Scratch s = Scratch.get();
            try {
                Win32.GetFileInformationByHandleEx(h.h, Structs.FileIdInfo, s.small.share(Scratch.ID), Structs.ID_INFO_SIZE);
                Structs.IdInfo id = Structs.IdInfo.read(s.smallBuffer(Scratch.ID, Structs.ID_INFO_SIZE));
                if (!InodeNumbers.isUnusable(id.fileIdHigh(), id.fileIdLow())) {
                    return inodes.ino(id.volumeSerial(), id.fileIdHigh(), id.fileIdLow());
                }
            } catch (WindowsException e) {
                // This file's own answer (another file system mounted below the share, a filter
                // driver): a path key for it alone. Only the share root's answer at open decides
                // for the volume; before, one such file turned every inode number into a path key.
            }
        }
        return inodes.forPath(p.toString());
    }

    private LxEa.Metadata metadata(Handle h) {
        if (!options.metadata() || !features.has(Feature.EXTENDED_ATTRIBUTES)) {
            return LxEa.Metadata.NONE;
        }
        Scratch s = Scratch.get();
        byte[] list = LxEa.encodeGetList(LxEa.LXUID, LxEa.LXGID, LxEa.LXMOD);
        s.small.write(Scratch.EA_LIST, list, 0, list.length);
        try {
            int n = Win32.NtQueryEaFile(h.h, s.small.share(Scratch.EA_DATA), Scratch.SMALL_SIZE - Scratch.EA_DATA,
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

    private LxEa.Metadata newMetadata(Owner owner, int mode) {
        return LxSpecialFiles.metadata(owner, options.uid(), options.gid(), mode);
    }

    private boolean metadataOn() {
        return options.metadata() && features.has(Feature.EXTENDED_ATTRIBUTES);
    }

    private void setMetadata(Handle h, LxEa.Metadata m) throws WindowsException {
        byte[] enc = LxEa.encodeFull(LxEa.values(m));
        try (Memory mem = new Memory(enc.length)) {
            mem.write(0, enc, 0, enc.length);
            Win32.NtSetEaFile(h.h, mem, enc.length);
        }
    }

    private ReparseData.Link readReparse(Handle h) throws WindowsException, FsException {
        Memory buf = Scratch.get().reparse();
        int n = Win32.DeviceIoControl(h.h, Win32.FSCTL_GET_REPARSE_POINT, null, 0, buf, ReparseData.MAX_SIZE);
        return ReparseData.parse(buf.getByteBuffer(0, n), n);
    }

    private long linkSize(Handle h, RelPath p) {
        try {
            return ReparseData.toPosixTarget(readReparse(h), rootDos, p.parent())
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        } catch (WindowsException | FsException e) {
            return 0;
        }
    }

    private FileAttributes attrs(DirInfo d, RelPath dir) throws FsException {
        long ino = InodeNumbers.isUnusable(d.fileIdHigh(), d.fileIdLow()) || !features.has(Feature.FILE_ID_INFO)
                ? inodes.forPath(dir.resolve(NameEscaping.fromWindows(d.name())).toString())
                : inodes.ino(features.serial(), d.fileIdHigh(), d.fileIdLow());
        if (AttributeMapping.needsOpen(d, options.metadata() && features.has(Feature.EXTENDED_ATTRIBUTES))) {
            return stat(dir.resolve(NameEscaping.fromWindows(d.name())));
        }
        return mapping.fromDirInfo(ino, d);
    }

    // ---- Backend ----

    @Override
    public FileAttributes stat(RelPath path) throws FsException {
        try (Handle h = openPath(path, META | eaRead(), Win32.OPEN_EXISTING, 0)) {
            return attrs(h, path);
        } catch (WindowsException e) {
            throw error(e, "stat", path);
        }
    }

    private int eaRead() {
        return options.metadata() ? Win32.FILE_READ_EA : 0;
    }

    /**
     * The on-disk spelling of {@code path}'s last name (case-insensitive directories answer
     * "README" for "readme"): for the server's lookup, so the client caches one name per file.
     */
    public String onDiskName(RelPath path) throws FsException {
        if (path.isRoot()) {
            return "";
        }
        try (Handle h = openPath(path, META, Win32.OPEN_EXISTING, 0)) {
            String fin = Win32.GetFinalPathNameByHandleW(h.h, Scratch.get().path);
            return NameEscaping.fromWindows(fin.substring(fin.lastIndexOf('\\') + 1));
        } catch (WindowsException e) {
            throw error(e, "lookup", path);
        }
    }

    @Override
    public List<DirEntry> list(RelPath dir) throws FsException {
        List<DirInfo> infos = new ArrayList<>();
        try (Handle h = openPath(dir, Win32.FILE_LIST_DIRECTORY | META, Win32.OPEN_EXISTING, 0)) {
            Scratch s = Scratch.get();
            Win32.GetFileInformationByHandleEx(h.h, Structs.FileBasicInfo, s.small.share(Scratch.BASIC), Structs.BASIC_INFO_SIZE);
            int a = Structs.BasicInfo.read(s.smallBuffer(Scratch.BASIC, Structs.BASIC_INFO_SIZE)).attributes();
            if (!WinAttributes.isDirectory(a, ShareDirs.attributeTag(h).reparseTag())) { // B4: OneDrive directories list
                throw new FsException(Errno.ENOTDIR, "list " + dir);
            }
            if (!readListing(h, dir, infos)) {
                return listWithNio(dir);
            }
        } catch (WindowsException e) {
            throw error(e, "list", dir);
        }
        List<DirEntry> out = new ArrayList<>(infos.size());
        for (DirInfo d : infos) {
            String name = NameEscaping.fromWindows(d.name());
            try {
                RelPath.checkName(name);
                out.add(new DirEntry(name, attrs(d, dir)));
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

    /** Last resort: java.nio names, one stat each (path-based, so it races with renames). */
    private List<DirEntry> listWithNio(RelPath dir) throws FsException {
        List<DirEntry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of(LongPaths.stripPrefix(path(dir))))) {
            for (Path p : ds) {
                String name = NameEscaping.fromWindows(p.getFileName().toString());
                try {
                    out.add(new DirEntry(name, stat(dir.resolve(name))));
                } catch (FsException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new FsException(Errno.EIO, "list " + dir, e);
        } catch (InvalidPathException e) {
            // java.nio's Windows path parser refuses a component with a trailing space or dot
            // (made outside fsdriver through \\?\ paths); this fallback cannot name it.
            throw new FsException(Errno.EIO, "list " + dir + ": java.nio cannot name it (" + e.getReason() + ")", e);
        }
        return out;
    }

    @Override
    public OpenFile open(RelPath path, int flags) throws FsException {
        boolean write = OpenFlags.writable(flags);
        if (write || (flags & OpenFlags.O_TRUNC) != 0) {
            writable();
        }
        int access = META | eaRead() | (OpenFlags.readable(flags) ? Win32.GENERIC_READ : 0)
                | (write ? Win32.GENERIC_WRITE | Win32.FILE_WRITE_ATTRIBUTES : 0);
        Handle h = null;
        try {
            h = openPath(path, access, Win32.OPEN_EXISTING, 0);
            checkOpenable(h, path);
            if ((flags & OpenFlags.O_TRUNC) != 0 && write) {
                setEndOfFile(h, 0);
            }
            WindowsOpenFile f = new WindowsOpenFile(this, h, path, (flags & OpenFlags.O_APPEND) != 0, write);
            h = null;
            return f;
        } catch (WindowsException e) {
            throw error(e, "open", path);
        } finally {
            if (h != null) {
                h.close();
            }
        }
    }

    /** Directories are EISDIR, links (never followed here) ELOOP. */
    private void checkOpenable(Handle h, RelPath path) throws WindowsException, FsException {
        Scratch s = Scratch.get();
        Win32.GetFileInformationByHandleEx(h.h, Structs.FileBasicInfo, s.small.share(Scratch.BASIC), Structs.BASIC_INFO_SIZE);
        int a = Structs.BasicInfo.read(s.smallBuffer(Scratch.BASIC, Structs.BASIC_INFO_SIZE)).attributes();
        if ((a & WinAttributes.FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
            Win32.GetFileInformationByHandleEx(h.h, Structs.FileAttributeTagInfo, s.small.share(Scratch.TAG), 8);
            if (WinAttributes.isLinkTag(Structs.AttributeTagInfo.read(s.smallBuffer(Scratch.TAG, 8)).reparseTag())) {
                throw new FsException(Errno.ELOOP, path + " is a symbolic link");
            }
        }
        if ((a & WinAttributes.FILE_ATTRIBUTE_DIRECTORY) != 0) {
            throw new FsException(Errno.EISDIR, path + " is a directory");
        }
    }

    @Override
    public OpenFile create(RelPath path, int mode, int flags) throws FsException {
        return create(path, mode, flags, null);
    }

    /** With metadata on, the new file's $LXUID/$LXGID are {@code owner}'s (else the share's uid and gid). */
    @Override
    public OpenFile create(RelPath path, int mode, int flags, Owner owner) throws FsException {
        writable();
        NameEscaping.toWindowsNewName(path.name());
        boolean excl = (flags & OpenFlags.O_EXCL) != 0;
        int access = META | Win32.GENERIC_WRITE | Win32.FILE_WRITE_ATTRIBUTES
                | (OpenFlags.readable(flags) ? Win32.GENERIC_READ : 0)
                | (options.metadata() ? Win32.FILE_WRITE_EA | Win32.FILE_READ_EA : 0);
        Handle h = null;
        try {
            h = openPath(path, access, excl ? Win32.CREATE_NEW : Win32.OPEN_ALWAYS, ModeMapping.attributesForCreate(mode));
            boolean existed = !excl && h.openError == WinErrors.ERROR_ALREADY_EXISTS;
            if (existed) {
                // Whatever the root says: a directory below may be case-insensitive when the root
                // is not (B5), and create("readme", O_TRUNC) must not truncate README there. An
                // exact match costs one GetFinalPathNameByHandleW.
                String fin = Win32.GetFinalPathNameByHandleW(h.h, Scratch.get().path);
                if (CaseFolding.openedAnotherSpelling(NameEscaping.toWindows(path.name()), fin)) {
                    String onDisk = fin.substring(fin.lastIndexOf('\\') + 1);
                    throw new FsException(Errno.EEXIST, path + " exists as '" + NameEscaping.fromWindows(onDisk) + "'");
                }
                checkOpenable(h, path);
                if ((flags & OpenFlags.O_TRUNC) != 0) {
                    setEndOfFile(h, 0);
                }
            } else if (options.metadata() && features.has(Feature.EXTENDED_ATTRIBUTES)) {
                setMetadata(h, newMetadata(owner, FileMode.S_IFREG | (mode & FileMode.PERMISSIONS)));
            }
            WindowsOpenFile f = new WindowsOpenFile(this, h, path, (flags & OpenFlags.O_APPEND) != 0, true);
            h = null;
            return f;
        } catch (WindowsException e) {
            throw error(e, "create", path);
        } finally {
            if (h != null) {
                h.close();
            }
        }
    }

    @Override
    public FileAttributes mkdir(RelPath path, int mode) throws FsException {
        return mkdir(path, mode, null);
    }

    @Override
    public FileAttributes mkdir(RelPath path, int mode, Owner owner) throws FsException {
        writable();
        NameEscaping.toWindowsNewName(path.name());
        boolean md = options.metadata() && features.has(Feature.EXTENDED_ATTRIBUTES);
        try (Handle parent = dirs.openDir(path.parent());
             Handle h = dirs.openAt(parent, path, META | Win32.FILE_LIST_DIRECTORY | (md ? Win32.FILE_WRITE_EA : 0),
                     WinAttributes.FILE_ATTRIBUTE_NORMAL, Win32.FILE_CREATE, Win32.FILE_DIRECTORY_FILE)) {
            if (md) {
                setMetadata(h, newMetadata(owner, FileMode.S_IFDIR | (mode & FileMode.PERMISSIONS)));
            }
        } catch (WindowsException e) {
            throw error(e, "mkdir", path);
        }
        return stat(path);
    }

    @Override
    public void unlink(RelPath path) throws FsException {
        remove(path, false);
    }

    @Override
    public void rmdir(RelPath path) throws FsException {
        if (path.isRoot()) {
            throw new FsException(Errno.EBUSY, "the share root cannot be removed");
        }
        remove(path, true);
    }

    private void remove(RelPath path, boolean directory) throws FsException {
        writable();
        deletes.remove(path, directory);
    }

    @Override
    public void rename(RelPath from, RelPath to, int flags) throws FsException {
        writable();
        renames.rename(from, to, flags);
    }

    @Override
    public FileAttributes link(RelPath existing, RelPath newPath) throws FsException {
        writable();
        NameEscaping.toWindowsNewName(newPath.name());
        // FileLinkInformation: the new name is the leaf relative to its verified parent (ShareDirs).
        String leaf = NameEscaping.toWindows(newPath.name());
        try (Handle h = openPath(existing, META, Win32.OPEN_EXISTING, 0);
             Handle dir = dirs.openDir(newPath.parent());
             Memory m = new Memory(Structs.RENAME_INFO_NAME_OFFSET + 2L * leaf.length() + 8)) {
            try {
                checkOpenable(h, existing); // no hard links to directories or through links
            } catch (FsException e) {
                if (e.errno() == Errno.EISDIR) {
                    throw new FsException(Errno.EPERM, "link " + existing + ": hard links to directories are not allowed");
                }
                throw e;
            }
            int n = Structs.writeRenameInfo(m.getByteBuffer(0, m.size()), 0, Pointer.nativeValue(dir.h.getPointer()), leaf);
            Win32.NtSetInformationFile(h.h, m, n, Win32.FileLinkInformation);
        } catch (WindowsException e) {
            throw error(e, "link", newPath);
        }
        return stat(newPath);
    }

    @Override
    public FileAttributes symlink(RelPath path, String target) throws FsException {
        return symlink(path, target, null);
    }

    /** WSL-style links with metadata on get {@code owner} in $LXUID/$LXGID; native links carry no owner. */
    @Override
    public FileAttributes symlink(RelPath path, String target, Owner owner) throws FsException {
        writable();
        NameEscaping.toWindowsNewName(path.name());
        if (target.isEmpty()) {
            throw new FsException(Errno.ENOENT, "empty symlink target");
        }
        String nativeTarget = options.symlinks() == SymlinkStyle.NATIVE ? ReparseData.toNativeRelative(target, path.depth() - 1) : null;
        try {
            if (nativeTarget != null) {
                int flags = Win32.SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE;
                if (targetIsDirectory(path, target)) {
                    flags |= Win32.SYMBOLIC_LINK_FLAG_DIRECTORY;
                }
                // CreateSymbolicLinkW takes a path, not a directory handle: the link is made by the
                // final path of the verified parent, held open meanwhile. Not by construction: an
                // ancestor swapped for a link between the check and the call would be followed
                // (native style is opt-in; the default WSL-style link is created by handle).
                try (Handle parent = dirs.openDir(path.parent())) {
                    String base = Win32.GetFinalPathNameByHandleW(parent.h, Scratch.get().path);
                    Win32.CreateSymbolicLinkW(base + "\\" + NameEscaping.toWindows(path.name()), nativeTarget, flags);
                } catch (WindowsException e) {
                    if (e.win32Error() == WinErrors.ERROR_PRIVILEGE_NOT_HELD) {
                        throw new FsException(Errno.EPERM, "native symlink " + path
                                + ": needs Developer Mode or SeCreateSymbolicLinkPrivilege (or use WSL-style links)");
                    }
                    throw e;
                }
            } else {
                byte[] data = ReparseData.buildLxSymlink(target);
                try (Handle h = openPath(path, Win32.GENERIC_WRITE | Win32.DELETE | META | Win32.FILE_WRITE_ATTRIBUTES,
                        Win32.CREATE_NEW, WinAttributes.FILE_ATTRIBUTE_NORMAL);
                     Memory m = new Memory(data.length)) {
                    m.write(0, data, 0, data.length);
                    try {
                        Win32.DeviceIoControl(h.h, Win32.FSCTL_SET_REPARSE_POINT, m, data.length, null, 0);
                        if (owner != null && metadataOn()) {
                            setMetadata(h, newMetadata(owner, FileMode.S_IFLNK | 0777));
                        }
                    } catch (WindowsException e) {
                        deletes.delete(h, WinAttributes.FILE_ATTRIBUTE_NORMAL, path);
                        throw e;
                    }
                }
            }
        } catch (WindowsException e) {
            throw error(e, "symlink", path);
        }
        return stat(path);
    }

    /** FIFOs and sockets as WSL makes them (see {@link LxSpecialFiles}); EPERM without metadata and for devices. */
    @Override
    public FileAttributes mknod(RelPath path, int mode, Owner owner) throws FsException {
        writable();
        NameEscaping.toWindowsNewName(path.name());
        byte[] data = LxSpecialFiles.reparseData(LxSpecialFiles.reparseTag(mode, metadataOn()));
        try (Handle h = openPath(path, Win32.GENERIC_WRITE | Win32.DELETE | META | Win32.FILE_WRITE_ATTRIBUTES
                        | Win32.FILE_WRITE_EA, Win32.CREATE_NEW, WinAttributes.FILE_ATTRIBUTE_NORMAL);
             Memory m = new Memory(data.length)) {
            m.write(0, data, 0, data.length);
            try {
                Win32.DeviceIoControl(h.h, Win32.FSCTL_SET_REPARSE_POINT, m, data.length, null, 0);
                setMetadata(h, newMetadata(owner, mode & (FileMode.S_IFMT | FileMode.PERMISSIONS)));
            } catch (WindowsException e) {
                deletes.delete(h, WinAttributes.FILE_ATTRIBUTE_NORMAL, path);
                throw e;
            }
        } catch (WindowsException e) {
            throw error(e, "mknod", path);
        }
        return stat(path);
    }

    /** Whether the POSIX {@code target} of a new link at {@code link} is a directory now (false if dangling or outside). */
    private boolean targetIsDirectory(RelPath link, String target) {
        RelPath t = ReparseData.targetInShare(link.parent(), target);
        if (t == null) {
            return false;
        }
        try {
            return (Win32.GetFileAttributesW(path(t)) & WinAttributes.FILE_ATTRIBUTE_DIRECTORY) != 0;
        } catch (WindowsException | FsException e) {
            return false; // dangling: a file link, as Linux would not know either
        }
    }

    @Override
    public String readlink(RelPath path) throws FsException {
        try (Handle h = openPath(path, META, Win32.OPEN_EXISTING, 0)) {
            ReparseData.Link link = readReparse(h);
            if (link.kind() == ReparseData.Kind.OTHER) {
                throw new FsException(Errno.EINVAL, path + " is not a symbolic link");
            }
            return ReparseData.toPosixTarget(link, rootDos, path.parent());
        } catch (WindowsException e) {
            throw error(e, "readlink", path);
        }
    }

    @Override
    public FileAttributes setattr(RelPath path, OpenFile file, SetAttributes changes) throws FsException {
        if (changes.mutates()) {
            writable();
        }
        boolean md = options.metadata() && features.has(Feature.EXTENDED_ATTRIBUTES);
        if (!md && (changes.uid().isPresent() || changes.gid().isPresent())) {
            if (changes.uid().orElse(options.uid()) != options.uid() || changes.gid().orElse(options.gid()) != options.gid()) {
                throw new FsException(Errno.EPERM, "chown needs the share's metadata option");
            }
        }
        if (changes.size().isPresent() && file instanceof WindowsOpenFile w) {
            w.truncate(changes.size().getAsLong());
        }
        int access = META | Win32.FILE_WRITE_ATTRIBUTES | (md ? Win32.FILE_READ_EA | Win32.FILE_WRITE_EA : 0)
                | (changes.size().isPresent() && !(file instanceof WindowsOpenFile) ? Win32.GENERIC_WRITE : 0);
        try (Handle h = openPath(path, access, Win32.OPEN_EXISTING, 0)) {
            if (changes.size().isPresent() && !(file instanceof WindowsOpenFile)) {
                checkOpenable(h, path);
                setEndOfFile(h, changes.size().getAsLong());
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
                FileAttributes cur = attrs(h, path);
                setMetadata(h, new LxEa.Metadata(changes.uid().isPresent() ? changes.uid().getAsInt() : null,
                        changes.gid().isPresent() ? changes.gid().getAsInt() : null,
                        changes.mode().isPresent() ? (cur.mode() & FileMode.S_IFMT) | (changes.mode().getAsInt() & FileMode.PERMISSIONS) : null,
                        null));
            }
            return attrs(h, path);
        } catch (WindowsException e) {
            throw error(e, "setattr", path);
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

    void setEndOfFile(Handle h, long size) throws WindowsException {
        Scratch s = Scratch.get();
        int n = Structs.writeEndOfFile(s.smallBuffer(Scratch.SET, 8), size);
        Win32.SetFileInformationByHandle(h.h, Structs.FileEndOfFileInfo, s.small.share(Scratch.SET), n);
    }

    @Override
    public byte[] getxattr(RelPath path, String name) throws FsException {
        return xattrs.get(path, name);
    }

    @Override
    public List<String> listxattr(RelPath path) throws FsException {
        return xattrs.list(path);
    }

    @Override
    public void setxattr(RelPath path, String name, byte[] value, int flags) throws FsException {
        writable();
        xattrs.set(path, name, value, flags);
    }

    @Override
    public void removexattr(RelPath path, String name) throws FsException {
        writable();
        xattrs.remove(path, name);
    }

    @Override
    public FsStats statfs() throws FsException {
        try {
            Win32.DiskSpace d = Win32.GetDiskFreeSpaceExW(rootDos.endsWith("\\") ? rootDos : rootDos + "\\");
            long bs = 4096;
            // NTFS has no inode limit to report: large constants keep df and tools calm.
            return new FsStats(d.total() / bs, d.totalFree() / bs, d.freeToCaller() / bs, 1L << 32, 1L << 31, (int) bs, (int) bs,
                    features.maxComponentLength() > 0 ? features.maxComponentLength() : 255);
        } catch (WindowsException e) {
            throw error(e, "statfs", RelPath.ROOT);
        }
    }

    @Override
    public AutoCloseable watch(ChangeListener listener) throws FsException {
        return WindowsWatcher.start(this, root, rootFinal, listener);
    }

    /** Whether {@code p} is a directory now (for basic notify records, which carry no attributes). */
    boolean isDirectoryQuietly(RelPath p) {
        try {
            return stat(p).isDirectory();
        } catch (FsException e) {
            return false;
        }
    }

    @Override
    public void close() {
        inodes.close();
    }

    /** Options in effect, for the server's HelloReply and logs. */
    public Map<String, Object> describe() {
        return Map.of("root", rootFinal, "fileSystem", features.fileSystem(), "readOnly", readOnly, "metadata", options.metadata(),
                "caseInsensitive", caseInsensitive, "symlinks", options.symlinks().name());
    }
}
