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
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An in-memory file system for tests. One lock (this object's monitor) guards all state: simple,
 * and file-system methods never call the notifier while holding it.
 *
 * <p>Files are sparse at 4 KiB granularity for SEEK_DATA/SEEK_HOLE: a block never written (or
 * cut off by a truncate) is a hole and reads as zeros.
 */
public class MemoryFileSystem implements BlockingFileSystem {
    private static final long TIMEOUT = 1_000_000_000L;
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final int BLOCK = 4096;
    private static final int SEEK_DATA = 3;

    private static final class Node {
        final long id;
        int mode;
        int nlink;
        int uid;
        int gid;
        long atime;
        long mtime;
        long ctime;
        byte[] data = new byte[0];
        long size;
        /** Blocks holding data; the others are holes. */
        final BitSet written = new BitSet();
        String target;
        TreeMap<String, Long> children;
        Map<String, byte[]> xattrs = new HashMap<>();

        Node(long id, int mode, int uid, int gid) {
            this.id = id;
            this.mode = mode;
            this.uid = uid;
            this.gid = gid;
            long now = now();
            atime = mtime = ctime = now;
            nlink = (mode & S_IFMT) == S_IFDIR ? 2 : 1;
            if ((mode & S_IFMT) == S_IFDIR) {
                children = new TreeMap<>();
            }
        }

        boolean isDir() {
            return children != null;
        }
    }

    private final Map<Long, Node> nodes = new HashMap<>();
    private long nextId = 2;

    public MemoryFileSystem() {
        nodes.put(ROOT_ID, new Node(ROOT_ID, S_IFDIR | 0755, 0, 0));
    }

    private static long now() {
        java.time.Instant i = java.time.Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private Node node(long id) throws FuseException {
        Node n = nodes.get(id);
        if (n == null) {
            throw new FuseException(Errno.ENOENT);
        }
        return n;
    }

    private Node dir(long id) throws FuseException {
        Node n = node(id);
        if (!n.isDir()) {
            throw new FuseException(Errno.ENOTDIR);
        }
        return n;
    }

    private static FuseAttr attr(Node n) {
        long size = n.isDir() ? 4096 : n.target != null ? n.target.length() : n.size;
        return new FuseAttr(n.id, size, (size + 511) / 512, n.atime, n.mtime, n.ctime, n.mode, n.nlink, n.uid, n.gid,
                0, 4096);
    }

    private static FuseEntry entry(Node n) {
        return new FuseEntry(n.id, 0, attr(n), TIMEOUT, TIMEOUT);
    }

    private Node child(long parent, String name) throws FuseException {
        Long id = dir(parent).children.get(name);
        if (id == null) {
            throw new FuseException(Errno.ENOENT);
        }
        return nodes.get(id);
    }

    private Node newNode(FuseRequest req, long parent, String name, int mode) throws FuseException {
        Node p = dir(parent);
        if (p.children.containsKey(name)) {
            throw new FuseException(Errno.EEXIST);
        }
        Node n = new Node(nextId++, mode, req.uid(), req.gid());
        nodes.put(n.id, n);
        p.children.put(name, n.id);
        if (n.isDir()) {
            p.nlink++;
        }
        p.mtime = p.ctime = now();
        return n;
    }

    @Override
    public synchronized FuseEntry lookup(FuseRequest req, long parent, String name) throws FuseException {
        return entry(child(parent, name));
    }

    @Override
    public synchronized FuseAttrReply getattr(FuseRequest req, long nodeId, long fh) throws FuseException {
        return new FuseAttrReply(attr(node(nodeId)), TIMEOUT);
    }

    @Override
    public synchronized FuseAttrReply setattr(FuseRequest req, long nodeId, FuseSetAttr c) throws FuseException {
        Node n = node(nodeId);
        long now = now();
        if (c.size().isPresent()) {
            long size = c.size().getAsLong();
            if (size > n.data.length) {
                n.data = Arrays.copyOf(n.data, (int) Math.max(size, n.data.length * 2L));
            } else {
                Arrays.fill(n.data, (int) size, n.data.length, (byte) 0);
            }
            n.written.clear((int) ((size + BLOCK - 1) / BLOCK), Integer.MAX_VALUE);
            n.size = size;
            n.mtime = now;
        }
        c.mode().ifPresent(m -> n.mode = (n.mode & S_IFMT) | (m & 07777));
        c.uid().ifPresent(u -> n.uid = u);
        c.gid().ifPresent(g -> n.gid = g);
        if (c.atimeNow()) {
            n.atime = now;
        }
        c.atimeNs().ifPresent(t -> n.atime = t);
        if (c.mtimeNow()) {
            n.mtime = now;
        }
        c.mtimeNs().ifPresent(t -> n.mtime = t);
        n.ctime = now;
        return new FuseAttrReply(attr(n), TIMEOUT);
    }

    @Override
    public synchronized String readlink(FuseRequest req, long nodeId) throws FuseException {
        Node n = node(nodeId);
        if (n.target == null) {
            throw new FuseException(Errno.EINVAL);
        }
        return n.target;
    }

    @Override
    public synchronized FuseEntry symlink(FuseRequest req, long parent, String name, String target)
            throws FuseException {
        Node n = newNode(req, parent, name, S_IFLNK | 0777);
        n.target = target;
        return entry(n);
    }

    @Override
    public synchronized FuseEntry mknod(FuseRequest req, long parent, String name, int mode, int rdev, int umask)
            throws FuseException {
        if ((mode & S_IFMT) != S_IFREG) {
            throw new FuseException(Errno.EPERM);
        }
        return entry(newNode(req, parent, name, mode & ~umask));
    }

    @Override
    public synchronized FuseEntry mkdir(FuseRequest req, long parent, String name, int mode, int umask)
            throws FuseException {
        return entry(newNode(req, parent, name, S_IFDIR | (mode & ~umask & 07777)));
    }

    @Override
    public synchronized void unlink(FuseRequest req, long parent, String name) throws FuseException {
        Node n = child(parent, name);
        if (n.isDir()) {
            throw new FuseException(Errno.EISDIR);
        }
        dir(parent).children.remove(name);
        n.nlink--;
        n.ctime = now();
    }

    @Override
    public synchronized void rmdir(FuseRequest req, long parent, String name) throws FuseException {
        Node n = child(parent, name);
        if (!n.isDir()) {
            throw new FuseException(Errno.ENOTDIR);
        }
        if (!n.children.isEmpty()) {
            throw new FuseException(Errno.ENOTEMPTY);
        }
        Node p = dir(parent);
        p.children.remove(name);
        p.nlink--;
        n.nlink = 0;
    }

    @Override
    public synchronized void rename(FuseRequest req, long parent, String name, long newParent, String newName,
                                    int flags) throws FuseException {
        if ((flags & ~1) != 0) {
            throw new FuseException(Errno.EINVAL);   // RENAME_EXCHANGE and the rest
        }
        Node n = child(parent, name);
        Node np = dir(newParent);
        Long existing = np.children.get(newName);
        if (existing != null) {
            if ((flags & 1) != 0) {
                throw new FuseException(Errno.EEXIST);
            }
            Node old = nodes.get(existing);
            if (old.isDir()) {
                if (!n.isDir()) {
                    throw new FuseException(Errno.EISDIR);
                }
                if (!old.children.isEmpty()) {
                    throw new FuseException(Errno.ENOTEMPTY);
                }
                np.nlink--;
            } else if (n.isDir()) {
                throw new FuseException(Errno.ENOTDIR);
            }
            old.nlink--;
        }
        Node p = dir(parent);
        p.children.remove(name);
        np.children.put(newName, n.id);
        if (n.isDir() && p != np) {
            p.nlink--;
            np.nlink++;
        }
        n.ctime = p.mtime = np.mtime = now();
    }

    @Override
    public synchronized FuseEntry link(FuseRequest req, long nodeId, long newParent, String newName)
            throws FuseException {
        Node n = node(nodeId);
        Node np = dir(newParent);
        if (np.children.containsKey(newName)) {
            throw new FuseException(Errno.EEXIST);
        }
        np.children.put(newName, n.id);
        n.nlink++;
        n.ctime = now();
        return entry(n);
    }

    @Override
    public synchronized FuseOpen open(FuseRequest req, long nodeId, int flags) throws FuseException {
        Node n = node(nodeId);
        if ((flags & 01000) != 0) {   // O_TRUNC: FUSE_ATOMIC_O_TRUNC leaves it to us
            Arrays.fill(n.data, (byte) 0);
            n.written.clear();
            n.size = 0;
            n.mtime = n.ctime = now();
        }
        return FuseOpen.of(nodeId);
    }

    @Override
    public synchronized FuseCreated create(FuseRequest req, long parent, String name, int mode, int flags, int umask)
            throws FuseException {
        Node n = newNode(req, parent, name, S_IFREG | (mode & ~umask & 07777));
        return new FuseCreated(entry(n), FuseOpen.of(n.id));
    }

    @Override
    public synchronized int read(FuseRequest req, long nodeId, long fh, long offset, int size, ByteBuffer dst)
            throws FuseException {
        Node n = node(nodeId);
        if (offset >= n.size) {
            return 0;
        }
        int len = (int) Math.min(size, n.size - offset);
        dst.put(n.data, (int) offset, len);
        return len;
    }

    @Override
    public synchronized int write(FuseRequest req, long nodeId, long fh, long offset, ByteBuffer src, int writeFlags)
            throws FuseException {
        Node n = node(nodeId);
        int len = src.remaining();
        grow(n, offset, len);
        src.get(n.data, (int) offset, len);
        return len;
    }

    /** Makes room for {@code len} bytes at {@code offset} and counts them as written. */
    private static void grow(Node n, long offset, int len) {
        long end = offset + len;
        if (end > n.data.length) {
            n.data = Arrays.copyOf(n.data, (int) Math.max(end, n.data.length * 2L));
        }
        if (len > 0) {
            n.written.set((int) (offset / BLOCK), (int) ((end - 1) / BLOCK) + 1);
        }
        n.size = Math.max(n.size, end);
        n.mtime = n.ctime = now();
    }

    @Override
    public synchronized long lseek(FuseRequest req, long nodeId, long fh, long offset, int whence)
            throws FuseException {
        Node n = node(nodeId);
        if (offset < 0 || offset >= n.size) {
            throw new FuseException(Errno.ENXIO);
        }
        int block = (int) (offset / BLOCK);
        if (whence == SEEK_DATA) {
            int data = n.written.nextSetBit(block);
            if (data < 0 || (long) data * BLOCK >= n.size) {
                throw new FuseException(Errno.ENXIO);
            }
            return Math.max(offset, (long) data * BLOCK);
        }
        return Math.min(n.size, Math.max(offset, (long) n.written.nextClearBit(block) * BLOCK));   // SEEK_HOLE
    }

    @Override
    public synchronized long copyFileRange(FuseRequest req, long nodeIn, long fhIn, long offIn, long nodeOut,
                                           long fhOut, long offOut, long length, int flags) throws FuseException {
        Node in = node(nodeIn);
        Node out = node(nodeOut);
        if (offIn >= in.size) {
            return 0;
        }
        int len = (int) Math.min(length, in.size - offIn);
        byte[] chunk = Arrays.copyOfRange(in.data, (int) offIn, (int) offIn + len);   // in and out may overlap
        grow(out, offOut, len);
        System.arraycopy(chunk, 0, out.data, (int) offOut, len);
        return len;
    }

    // No flush: its default ENOSYS makes the kernel stop sending FLUSH on every close(2).

    @Override
    public void fsync(FuseRequest req, long nodeId, long fh, boolean datasync) {}

    @Override
    public synchronized void readdir(FuseRequest req, long nodeId, long fh, long offset, DirFiller filler)
            throws FuseException {
        List<Object[]> entries = listing(nodeId);
        for (int i = (int) offset; i < entries.size(); i++) {
            Node n = (Node) entries.get(i)[1];
            if (!filler.add((String) entries.get(i)[0], n.id, n.mode, i + 1)) {
                return;
            }
        }
    }

    @Override
    public synchronized void readdirplus(FuseRequest req, long nodeId, long fh, long offset, DirPlusFiller filler)
            throws FuseException {
        List<Object[]> entries = listing(nodeId);
        for (int i = (int) offset; i < entries.size(); i++) {
            String name = (String) entries.get(i)[0];
            Node n = (Node) entries.get(i)[1];
            FuseEntry e = name.equals(".") || name.equals("..")
                    ? new FuseEntry(0, 0, attr(n), 0, 0) : entry(n);
            if (!filler.add(name, e, i + 1)) {
                return;
            }
        }
    }

    private List<Object[]> listing(long nodeId) throws FuseException {
        Node d = dir(nodeId);
        List<Object[]> entries = new ArrayList<>(d.children.size() + 2);
        entries.add(new Object[] {".", d});
        entries.add(new Object[] {"..", d});
        for (Map.Entry<String, Long> e : d.children.entrySet()) {
            entries.add(new Object[] {e.getKey(), nodes.get(e.getValue())});
        }
        return entries;
    }

    @Override
    public synchronized FuseStatfs statfs(FuseRequest req, long nodeId) {
        return new FuseStatfs(1 << 20, 1 << 19, 1 << 19, 1 << 20, (1 << 20) - nodes.size(), 4096, 255, 4096);
    }

    @Override
    public synchronized byte[] getxattr(FuseRequest req, long nodeId, String name) throws FuseException {
        byte[] v = node(nodeId).xattrs.get(name);
        if (v == null) {
            throw new FuseException(Errno.ENODATA);
        }
        return v;
    }

    @Override
    public synchronized List<String> listxattr(FuseRequest req, long nodeId) throws FuseException {
        return new ArrayList<>(node(nodeId).xattrs.keySet());
    }

    @Override
    public synchronized void setxattr(FuseRequest req, long nodeId, String name, byte[] value, int flags)
            throws FuseException {
        node(nodeId).xattrs.put(name, value);
    }

    @Override
    public synchronized void removexattr(FuseRequest req, long nodeId, String name) throws FuseException {
        if (node(nodeId).xattrs.remove(name) == null) {
            throw new FuseException(Errno.ENODATA);
        }
    }
}
