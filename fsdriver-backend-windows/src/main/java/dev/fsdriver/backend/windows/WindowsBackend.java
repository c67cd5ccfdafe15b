package dev.fsdriver.backend.windows;

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
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.NtCalls;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.common.OpenFlags;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
 * <p>This class opens, creates, removes and renames; the other concerns have their own homes:
 * {@link ShareProbe} (the volume, once at open), {@link WindowsAttributes} (POSIX attributes from
 * handles and listings), {@link WindowsListing}, {@link WindowsSetattr}, {@link WindowsLinks}
 * (hard and symbolic links, FIFOs and sockets), {@link WindowsRename}, {@link WindowsDelete},
 * {@link WindowsXattrs}. They call back into {@link #openPath} and {@link #error}.
 *
 * <p>Thread-safe: no shared mutable state besides {@link VolumeFeatures} and {@link InodeNumbers},
 * which guard themselves; native scratch buffers are per thread.
 */
public final class WindowsBackend implements Backend {
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
    private final boolean caseInsensitive;
    private final ShareDirs dirs;
    private final WindowsRename renames;
    private final WindowsDelete deletes;
    private final WindowsXattrs xattrs;
    private final WindowsAttributes fileAttrs;
    private final WindowsListing listing;
    private final WindowsLinks links;
    private final WindowsSetattr setattrs;

    private WindowsBackend(String root, String rootFinal, boolean readOnly, Options options, VolumeFeatures features,
            InodeNumbers inodes, boolean caseInsensitive) {
        this.root = root;
        this.rootFinal = rootFinal;
        this.rootDos = LongPaths.stripPrefix(rootFinal);
        this.readOnly = readOnly;
        this.options = options;
        this.features = features;
        this.inodes = inodes;
        this.caseInsensitive = caseInsensitive;
        this.dirs = new ShareDirs(root, rootFinal);
        this.renames = new WindowsRename(this, dirs, features);
        this.deletes = new WindowsDelete(this, features);
        this.xattrs = new WindowsXattrs(this, features);
        this.fileAttrs = new WindowsAttributes(this, options, features, inodes, rootDos);
        this.listing = new WindowsListing(this, fileAttrs, features);
        this.links = new WindowsLinks(this, fileAttrs, dirs, deletes, options.symlinks(), rootDos);
        this.setattrs = new WindowsSetattr(this, fileAttrs, options, features);
    }

    /** Opens the share at {@code root} with default options ({@link WindowsBackendProvider} opens it with the share's). */
    public static WindowsBackend open(Path root, boolean readOnly) throws FsException {
        return open(root, readOnly, Options.DEFAULTS);
    }

    /** Opens the share at {@code root}, probing the volume's features once ({@link ShareProbe}). */
    public static WindowsBackend open(Path root, boolean readOnly, Options options) throws FsException {
        if (!System.getProperty("os.name", "").startsWith("Windows")) {
            throw new FsException(Errno.ENOSYS, "the windows backend runs on Windows only (this is " + System.getProperty("os.name") + ")");
        }
        ShareProbe p = ShareProbe.probe(root, options);
        return new WindowsBackend(p.longRoot(), p.rootFinal(), readOnly, options, p.features(),
                new InodeNumbers(p.serial(), options.inodeStore()), !p.caseSensitiveRoot());
    }

    @Override
    public String kind() {
        return "windows";
    }

    @Override
    public boolean caseInsensitive() {
        return caseInsensitive;
    }

    /**
     * By the share root's volume: a local NTFS or ReFS one, never one reached over the network
     * (see {@link VolumeFeatures#directoryTimesMove}); each directory's attributes answer for its
     * own volume ({@link VolumeFeatures#timesMove}).
     */
    @Override
    public boolean directoryTimesMove() {
        return features.directoryTimesMove();
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
            case Win32.OPEN_EXISTING -> NtCalls.FILE_OPEN;
            case Win32.CREATE_NEW -> NtCalls.FILE_CREATE;
            case Win32.OPEN_ALWAYS -> NtCalls.FILE_OPEN_IF;
            default -> throw new IllegalArgumentException("disposition " + disposition);
        };
        try (Handle parent = dirs.openDir(p.parent())) {
            return dirs.openAt(parent, p, access, attributes, nt, 0);
        }
    }

    void writable() throws FsException {
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

    /** Attributes of the open file {@code h} (at share path {@code p}): see {@link WindowsAttributes}. */
    FileAttributes attrs(Handle h, RelPath p) throws WindowsException, FsException {
        return fileAttrs.read(h, p);
    }

    // ---- Backend ----

    @Override
    public FileAttributes stat(RelPath path) throws FsException {
        try (Handle h = openPath(path, META | fileAttrs.eaRead(), Win32.OPEN_EXISTING, 0)) {
            return attrs(h, path);
        } catch (WindowsException e) {
            throw error(e, "stat", path);
        }
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
        return listing.list(dir);
    }

    @Override
    public OpenFile open(RelPath path, int flags) throws FsException {
        boolean write = OpenFlags.writable(flags);
        if (write || (flags & OpenFlags.O_TRUNC) != 0) {
            writable();
        }
        int access = META | fileAttrs.eaRead() | (OpenFlags.readable(flags) ? Win32.GENERIC_READ : 0)
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
    void checkOpenable(Handle h, RelPath path) throws WindowsException, FsException {
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
                fileAttrs.setMetadata(h, fileAttrs.newMetadata(owner, FileMode.S_IFREG | (mode & FileMode.PERMISSIONS)));
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
                     WinAttributes.FILE_ATTRIBUTE_NORMAL, NtCalls.FILE_CREATE, NtCalls.FILE_DIRECTORY_FILE)) {
            if (md) {
                fileAttrs.setMetadata(h, fileAttrs.newMetadata(owner, FileMode.S_IFDIR | (mode & FileMode.PERMISSIONS)));
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
        return links.link(existing, newPath);
    }

    @Override
    public FileAttributes symlink(RelPath path, String target) throws FsException {
        return symlink(path, target, null);
    }

    /** WSL-style links with metadata on get {@code owner} in $LXUID/$LXGID; native links carry no owner. */
    @Override
    public FileAttributes symlink(RelPath path, String target, Owner owner) throws FsException {
        writable();
        return links.symlink(path, target, owner);
    }

    /** FIFOs and sockets as WSL makes them (see {@link LxSpecialFiles}); EPERM without metadata and for devices. */
    @Override
    public FileAttributes mknod(RelPath path, int mode, Owner owner) throws FsException {
        writable();
        return links.mknod(path, mode, owner);
    }

    @Override
    public String readlink(RelPath path) throws FsException {
        return links.readlink(path);
    }

    @Override
    public FileAttributes setattr(RelPath path, OpenFile file, SetAttributes changes) throws FsException {
        if (changes.mutates()) {
            writable();
        }
        return setattrs.setattr(path, file, changes);
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

    /** By the file id the inode number was made from: see {@link FileIdLocator}. */
    @Override
    public RelPath locate(long ino) throws FsException {
        return new FileIdLocator(this::finalPathById, rootFinal, features.has(Feature.FILE_ID_INFO)).locate(ino);
    }

    /** Opens {@code fileId} relative to the share root (attributes only, a link as itself) for its final path. */
    private String finalPathById(long fileId) throws WindowsException {
        try (Handle root = dirs.openRoot(Win32.FILE_READ_ATTRIBUTES | Win32.SYNCHRONIZE);
             Handle h = new Handle(NtCalls.NtCreateFileById(root.h, fileId, Win32.FILE_READ_ATTRIBUTES | Win32.SYNCHRONIZE,
                     ShareDirs.OPEN_OPTIONS).handle(), 0)) {
            return Win32.GetFinalPathNameByHandleW(h.h, Scratch.get().path);
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
