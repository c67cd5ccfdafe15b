package dev.fsdriver.fuse.examples;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.BlockingFileSystem;
import dev.fsdriver.fuse.DirFiller;
import dev.fsdriver.fuse.DirPlusFiller;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseCreated;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseOpen;
import dev.fsdriver.fuse.FuseRequest;
import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.fuse.FuseStatfs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A passthrough file system over a directory, with java.nio only. Node ids are handed out per
 * real inode (st_dev, st_ino); each node remembers one path (the last name it was found under),
 * kept up to date on rename.
 *
 * <p>Locking: {@link #tables} guards the node tables (lookup counting and forget); I/O is done
 * outside it. No notifications are sent from inside the lock.
 */
public class LoopbackFileSystem implements BlockingFileSystem {
    private static final String ATTRS = "unix:mode,ino,dev,nlink,uid,gid,rdev,size,lastAccessTime,lastModifiedTime,ctime";
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int O_ACCMODE = 3;
    private static final int O_WRONLY = 1;
    private static final int O_RDWR = 2;
    private static final int O_TRUNC = 01000;
    private static final int O_APPEND = 02000;

    /** One real inode the kernel knows about. */
    public static final class Node {
        final long id;
        final String key;
        volatile Path path;
        /** The attributes last read by path: an open file's, once its name is gone (see getattr). */
        volatile FuseAttr last;
        long nlookup;   // guarded by tables

        Node(long id, String key, Path path) {
            this.id = id;
            this.key = key;
            this.path = path;
        }

        public long id() {
            return id;
        }
    }

    private final Path root;
    private final long entryTimeoutNs;
    private final long attrTimeoutNs;
    private final boolean keepCache;
    private final Object tables = new Object();
    private final Map<Long, Node> nodes = new ConcurrentHashMap<>();
    private final Map<String, Node> byInode = new ConcurrentHashMap<>();
    private final Map<Long, FileChannel> files = new ConcurrentHashMap<>();
    private final Map<Long, List<String>> dirs = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(2);
    private final AtomicLong nextFh = new AtomicLong(1);

    /**
     * @param keepCache answer opens with FOPEN_KEEP_CACHE (the page cache survives open; only
     *                  notifications invalidate it)
     */
    public LoopbackFileSystem(Path root, Duration timeouts, boolean keepCache) throws IOException {
        this.root = root.toRealPath();
        this.entryTimeoutNs = timeouts.toNanos();
        this.attrTimeoutNs = timeouts.toNanos();
        this.keepCache = keepCache;
        Map<String, Object> a = Files.readAttributes(this.root, ATTRS, LinkOption.NOFOLLOW_LINKS);
        Node r = new Node(ROOT_ID, key(a), this.root);
        r.nlookup = 1;
        nodes.put(ROOT_ID, r);
        byInode.put(r.key, r);
    }

    /** The node id the kernel knows for the file at {@code relative}, or 0 (test helper). */
    public long nodeIdOf(String relative) {
        try {
            Node n = byInode.get(key(Files.readAttributes(root.resolve(relative), ATTRS, LinkOption.NOFOLLOW_LINKS)));
            return n == null ? 0 : n.id;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String key(Map<String, Object> a) {
        return a.get("dev") + ":" + a.get("ino");
    }

    private Node node(long id) throws FuseException {
        Node n = nodes.get(id);
        if (n == null) {
            throw new FuseException(Errno.ESTALE);
        }
        return n;
    }

    private static long ns(Object fileTime) {
        return ((FileTime) fileTime).to(TimeUnit.NANOSECONDS);
    }

    private static FuseAttr attr(Map<String, Object> a) {
        long size = (Long) a.get("size");
        return new FuseAttr((Long) a.get("ino"), size, (size + 511) / 512, ns(a.get("lastAccessTime")),
                ns(a.get("lastModifiedTime")), ns(a.get("ctime")), (Integer) a.get("mode"), (Integer) a.get("nlink"),
                (Integer) a.get("uid"), (Integer) a.get("gid"), ((Long) a.get("rdev")).intValue(), 4096);
    }

    private static Map<String, Object> stat(Path p) throws FuseException {
        try {
            return Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw errno(e);
        }
    }

    /** Finds or adds the node for the file at {@code p}; counts one lookup if {@code count}. */
    private FuseEntry entry(Path p, boolean count) throws FuseException {
        Map<String, Object> a = stat(p);
        String key = key(a);
        Node n;
        synchronized (tables) {
            n = byInode.get(key);
            if (n != null && n.path != p && !n.path.equals(p) && ((Integer) a.get("mode") & S_IFMT) == S_IFDIR) {
                // A directory has one name: a different one means the old directory was removed behind
                // our back and its inode number reused. A new node id keeps the kernel from seeing
                // one directory in two places (ELOOP).
                n = null;
            }
            if (n == null) {
                n = new Node(nextId.getAndIncrement(), key, p);
                nodes.put(n.id, n);
                byInode.put(key, n);
            } else {
                n.path = p;
            }
            if (count) {
                n.nlookup++;
            }
        }
        return new FuseEntry(n.id, 0, attr(a), entryTimeoutNs, attrTimeoutNs);
    }

    private void count(long id) {
        synchronized (tables) {
            Node n = nodes.get(id);
            if (n != null) {
                n.nlookup++;
            }
        }
    }

    private Path child(long parent, String name) throws FuseException {
        return node(parent).path.resolve(name);
    }

    /** The one place where java.nio errors become errno values. */
    static FuseException errno(IOException e) {
        if (e instanceof NoSuchFileException) {
            return new FuseException(Errno.ENOENT);
        }
        if (e instanceof FileAlreadyExistsException) {
            return new FuseException(Errno.EEXIST);
        }
        if (e instanceof DirectoryNotEmptyException) {
            return new FuseException(Errno.ENOTEMPTY);
        }
        if (e instanceof AccessDeniedException) {
            return new FuseException(Errno.EACCES);
        }
        if (e instanceof NotDirectoryException) {
            return new FuseException(Errno.ENOTDIR);
        }
        if (e instanceof NotLinkException) {
            return new FuseException(Errno.EINVAL);
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            String r = fse.getReason();
            if (r.contains("Is a directory")) {
                return new FuseException(Errno.EISDIR);
            }
            if (r.contains("Directory not empty")) {   // rename onto one (only delete has its own exception)
                return new FuseException(Errno.ENOTEMPTY);
            }
            if (r.contains("Not a directory")) {
                return new FuseException(Errno.ENOTDIR);
            }
            if (r.contains("Operation not permitted")) {
                return new FuseException(Errno.EPERM);
            }
            if (r.contains("Invalid argument")) {
                return new FuseException(Errno.EINVAL);
            }
            if (r.contains("No data available")) {
                return new FuseException(Errno.ENODATA);
            }
            if (r.contains("Too many links")) {
                return new FuseException(Errno.EMLINK);
            }
            if (r.contains("cross-device")) {
                return new FuseException(Errno.EXDEV);
            }
        }
        return new FuseException(Errno.EIO, e.toString());
    }

    @Override
    public FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
        Path p = child(parent, name);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            // a cached negative entry; and no NoSuchFileException (its stack trace costs more than the stat)
            return FuseEntry.negative(entryTimeoutNs);
        }
        return entry(p, true);
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        if (nodeId == ROOT_ID) {
            return;
        }
        synchronized (tables) {
            Node n = nodes.get(nodeId);
            if (n != null && (n.nlookup -= nlookup) <= 0) {
                nodes.remove(nodeId);
                byInode.remove(n.key, n);
            }
        }
    }

    @Override
    public FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) throws FuseException {
        Node node = node(nodeId);
        FileChannel open = fh >= 0 ? files.get(fh) : null;
        try {
            node.last = attr(stat(node.path));
        } catch (FuseException e) {
            // an unlinked file open here: java.nio has no fstat, so the last attributes, size now
            if (e.errno() != Errno.ENOENT || open == null || node.last == null) {
                throw e;
            }
            try {
                FuseAttr a = node.last;
                long size = open.size();
                node.last = new FuseAttr(a.ino(), size, (size + 511) / 512, a.atimeNs(), a.mtimeNs(), a.ctimeNs(),
                        a.mode(), 0, a.uid(), a.gid(), a.rdev(), a.blksize());
            } catch (IOException io) {
                throw errno(io);
            }
        }
        return new FuseAttrReply(node.last, attrTimeoutNs);
    }

    @Override
    public FuseAttrReply setattr(FuseRequest req, long nodeId, FuseSetAttr c) throws FuseException {
        Path p = node(nodeId).path;
        try {
            if (c.size().isPresent()) {
                FileChannel ch = c.fh() >= 0 ? files.get(c.fh()) : null;
                if (ch != null) {
                    setSize(ch, c.size().getAsLong());
                } else {
                    try (FileChannel tmp = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        setSize(tmp, c.size().getAsLong());
                    }
                }
            }
            if (c.mode().isPresent()) {
                Files.setAttribute(p, "unix:mode", c.mode().getAsInt() & 07777, LinkOption.NOFOLLOW_LINKS);
            }
            if (c.uid().isPresent()) {
                Files.setAttribute(p, "unix:uid", c.uid().getAsInt(), LinkOption.NOFOLLOW_LINKS);
            }
            if (c.gid().isPresent()) {
                Files.setAttribute(p, "unix:gid", c.gid().getAsInt(), LinkOption.NOFOLLOW_LINKS);
            }
            if (c.changesAtime() || c.changesMtime()) {
                FileTime now = FileTime.from(java.time.Instant.now());
                FileTime at = c.atimeNow() ? now : c.atimeNs().isPresent()
                        ? FileTime.from(c.atimeNs().getAsLong(), TimeUnit.NANOSECONDS) : null;
                FileTime mt = c.mtimeNow() ? now : c.mtimeNs().isPresent()
                        ? FileTime.from(c.mtimeNs().getAsLong(), TimeUnit.NANOSECONDS) : null;
                Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(mt, at, null);
            }
        } catch (IOException e) {
            throw errno(e);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            throw new FuseException(Errno.EINVAL);
        }
        return getattr(req, nodeId, -1);
    }

    private static void setSize(FileChannel ch, long size) throws IOException {
        if (size < ch.size()) {
            ch.truncate(size);
        } else if (size > ch.size()) {
            ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
        }
    }

    @Override
    public String readlink(FuseRequest req, long nodeId) throws FuseException {
        try {
            return Files.readSymbolicLink(node(nodeId).path).toString();
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public FuseEntry symlink(FuseRequest req, long parent, String name, String target) throws FuseException {
        Path p = child(parent, name);
        try {
            Files.createSymbolicLink(p, Path.of(target));
            chown(p, req);
        } catch (IOException e) {
            throw errno(e);
        }
        return entry(p, true);
    }

    private static void chown(Path p, FuseRequest req) throws IOException {
        if (req.uid() != 0 || req.gid() != 0) {
            Files.setAttribute(p, "unix:uid", req.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", req.gid(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    @Override
    public FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        if ((mode & S_IFMT) != S_IFREG) {
            throw new FuseException(Errno.EPERM);
        }
        Path p = child(parent, name);
        try {
            Files.createFile(p);
            Files.setAttribute(p, "unix:mode", mode & ~umask & 07777);
            chown(p, req);
        } catch (IOException e) {
            throw errno(e);
        }
        return entry(p, true);
    }

    @Override
    public FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask) throws FuseException {
        Path p = child(parent, name);
        try {
            Files.createDirectory(p);
            Files.setAttribute(p, "unix:mode", mode & ~umask & 07777);
            chown(p, req);
        } catch (IOException e) {
            throw errno(e);
        }
        return entry(p, true);
    }

    @Override
    public void unlink(FuseRequest req, long parent, String name) throws FuseException {
        Path p = child(parent, name);
        try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new FuseException(Errno.EISDIR);
            }
            Files.delete(p);
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public void rmdir(FuseRequest req, long parent, String name) throws FuseException {
        Path p = child(parent, name);
        try {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new FuseException(Errno.ENOTDIR);
            }
            Files.delete(p);
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public void rename(FuseRequest req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        if ((flags & ~1) != 0) {
            throw new FuseException(Errno.EINVAL);
        }
        Path from = child(parent, name);
        Path to = child(newParent, newName);
        Node moved = byInode.get(key(stat(from)));
        try {
            if ((flags & 1) != 0) {
                Files.move(from, to);   // fails with EEXIST (not atomic w.r.t. a racing create; fine for an example)
            } else {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw errno(e);
        }
        if (moved != null) {
            synchronized (tables) {
                for (Node n : nodes.values()) {
                    if (n.path.startsWith(from)) {
                        n.path = to.resolve(from.relativize(n.path));
                    }
                }
            }
        }
    }

    @Override
    public FuseEntry link(FuseRequest req, long nodeId, long newParent, String newName) throws FuseException {
        Path p = child(newParent, newName);
        try {
            Files.createLink(p, node(nodeId).path);
        } catch (IOException e) {
            throw errno(e);
        }
        return entry(p, true);
    }

    private static Set<OpenOption> options(int flags) {
        Set<OpenOption> o = new HashSet<>();
        int acc = flags & O_ACCMODE;
        if (acc == O_WRONLY || acc == O_RDWR) {
            o.add(StandardOpenOption.WRITE);
        }
        if (acc != O_WRONLY) {
            o.add(StandardOpenOption.READ);
        }
        if ((flags & O_TRUNC) != 0) {
            o.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        return o;
    }

    private FuseOpen opened(FileChannel ch) {
        long fh = nextFh.getAndIncrement();
        files.put(fh, ch);
        return new FuseOpen(fh, keepCache ? FuseOpen.FOPEN_KEEP_CACHE : 0);
    }

    @Override
    public FuseOpen open(FuseRequest req, long nodeId, int flags) throws FuseException {
        try {
            return opened(FileChannel.open(node(nodeId).path, options(flags & ~O_APPEND)));
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
            throws FuseException {
        Path p = child(parent, name);
        try {
            Set<OpenOption> o = options(flags);
            o.add(StandardOpenOption.CREATE_NEW);
            o.add(StandardOpenOption.WRITE);
            FileChannel ch = FileChannel.open(p, o);
            Files.setAttribute(p, "unix:mode", mode & ~umask & 07777);
            chown(p, req);
            return new FuseCreated(entry(p, true), opened(ch));
        } catch (IOException e) {
            throw errno(e);
        }
    }

    private FileChannel file(long fh) throws FuseException {
        FileChannel ch = files.get(fh);
        if (ch == null) {
            throw new FuseException(Errno.EBADF);
        }
        return ch;
    }

    @Override
    public int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst)
            throws FuseException {
        FileChannel ch = file(fh);
        try {
            int total = 0;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, offset + total);
                if (n <= 0) {
                    break;
                }
                total += n;
            }
            return total;
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public int write(FuseRequest req, long nodeId, long fh, long offset, ByteBuffer src, int writeFlags)
            throws FuseException {
        FileChannel ch = file(fh);
        try {
            int total = 0;
            while (src.hasRemaining()) {
                total += ch.write(src, offset + total);
            }
            return total;
        } catch (IOException e) {
            throw errno(e);
        }
    }

    // No flush: its default ENOSYS makes the kernel stop sending FLUSH on every close(2).

    @Override
    public void release(FuseRequest req, long nodeId, long fh, int flags) throws FuseException {
        FileChannel ch = files.remove(fh);
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                throw errno(e);
            }
        }
    }

    @Override
    public void fsync(FuseRequest req, long nodeId, long fh, boolean datasync) throws FuseException {
        try {
            file(fh).force(!datasync);
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public void fallocate(FuseRequest req, long nodeId, long fh, long offset, long length, int mode)
            throws FuseException {
        if (mode != 0) {
            throw new FuseException(Errno.EOPNOTSUPP);
        }
        try {
            FileChannel ch = file(fh);
            if (offset + length > ch.size()) {
                ch.write(ByteBuffer.wrap(new byte[1]), offset + length - 1);
            }
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public FuseOpen opendir(FuseRequest req, long nodeId, int flags) throws FuseException {
        List<String> names = new ArrayList<>();
        names.add(".");
        names.add("..");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(node(nodeId).path)) {
            for (Path p : ds) {
                names.add(p.getFileName().toString());
            }
        } catch (IOException e) {
            throw errno(e);
        }
        long fh = nextFh.getAndIncrement();
        dirs.put(fh, names);
        return FuseOpen.of(fh);
    }

    @Override
    public void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler) throws FuseException {
        List<String> names = dirs.get(fh);
        Path dir = node(nodeId).path;
        for (int i = (int) offset; i < names.size(); i++) {
            String name = names.get(i);
            int mode = 0;
            long ino = 1;
            if (i >= 2) {
                try {
                    Map<String, Object> a = Files.readAttributes(dir.resolve(name), "unix:mode,ino",
                            LinkOption.NOFOLLOW_LINKS);
                    mode = (Integer) a.get("mode");
                    ino = (Long) a.get("ino");
                } catch (IOException e) {
                    continue;   // vanished meanwhile
                }
            }
            if (!filler.add(name, ino, mode, i + 1)) {
                return;
            }
        }
    }

    @Override
    public void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
            throws FuseException {
        List<String> names = dirs.get(fh);
        Path dir = node(nodeId).path;
        for (int i = (int) offset; i < names.size(); i++) {
            String name = names.get(i);
            FuseEntry e;
            if (i < 2) {
                e = new FuseEntry(0, 0, attr(stat(dir)), 0, 0);
            } else {
                try {
                    e = entry(dir.resolve(name), false);
                } catch (FuseException gone) {
                    continue;
                }
            }
            if (!filler.add(name, e, i + 1)) {
                return;
            }
            if (e.nodeId() != 0) {
                count(e.nodeId());
            }
        }
    }

    @Override
    public void releasedir(FuseRequest req, long nodeId, long fh) {
        dirs.remove(fh);
    }

    @Override
    public void fsyncdir(FuseRequest req, long nodeId, long fh, boolean datasync) {}

    @Override
    public FuseStatfs statfs(FuseRequest req, long nodeId) throws FuseException {
        try {
            FileStore store = Files.getFileStore(root);
            long bs = 4096;
            return new FuseStatfs(store.getTotalSpace() / bs, store.getUnallocatedSpace() / bs,
                    store.getUsableSpace() / bs, 1_000_000, 500_000, (int) bs, 255, (int) bs);
        } catch (IOException e) {
            throw errno(e);
        }
    }

    private static String userName(String name) throws FuseException {
        if (!name.startsWith("user.")) {
            throw new FuseException(Errno.ENOTSUP);
        }
        return name.substring(5);
    }

    @Override
    public byte[] getxattr(FuseRequest req, long nodeId, String name) throws FuseException {
        if (!name.startsWith("user.")) {
            throw new FuseException(Errno.ENODATA);
        }
        UserDefinedFileAttributeView v = Files.getFileAttributeView(node(nodeId).path,
                UserDefinedFileAttributeView.class);
        try {
            String n = userName(name);
            ByteBuffer b = ByteBuffer.allocate(v.size(n));
            v.read(n, b);
            return b.array();
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public List<String> listxattr(FuseRequest req, long nodeId) throws FuseException {
        try {
            List<String> out = new ArrayList<>();
            for (String n : Files.getFileAttributeView(node(nodeId).path, UserDefinedFileAttributeView.class).list()) {
                out.add("user." + n);
            }
            return out;
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public void setxattr(FuseRequest req, long nodeId, String name, byte[] value, int flags) throws FuseException {
        try {
            Files.getFileAttributeView(node(nodeId).path, UserDefinedFileAttributeView.class)
                    .write(userName(name), ByteBuffer.wrap(value));
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public void removexattr(FuseRequest req, long nodeId, String name) throws FuseException {
        try {
            Files.getFileAttributeView(node(nodeId).path, UserDefinedFileAttributeView.class).delete(userName(name));
        } catch (IOException e) {
            throw errno(e);
        }
    }

    @Override
    public void destroy() {
        for (FileChannel ch : files.values()) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        files.clear();
    }

}
