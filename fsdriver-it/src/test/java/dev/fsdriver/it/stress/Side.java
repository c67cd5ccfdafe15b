package dev.fsdriver.it.stress;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * One worker's directory on one side (the native directory, the mount, or the served
 * directory itself) with the worker's open descriptors there. {@link #apply} performs an
 * {@link Op} and describes its outcome as text: the errno, and what was read or stat'ed, so
 * that two sides compare by string equality. Used by one thread only.
 */
final class Side implements AutoCloseable {
    static final int SLOTS = 4;

    final String name;
    final Path root;
    private final int[] fds = new int[SLOTS];
    private final String[] fdPath = new String[SLOTS];
    private final int[] fdFlags = new int[SLOTS];

    /**
     * Whether a UTIMENS's outcome shows the access time: not for a worker on the served
     * directory, where the server's own reads (following the events) may update it afterwards
     * (relatime: an access time set into the past is updated at the next read; seed 7).
     */
    private final boolean atimes;

    Side(String name, Path root) {
        this(name, root, true);
    }

    Side(String name, Path root, boolean atimes) {
        this.name = name;
        this.root = root;
        this.atimes = atimes;
        Arrays.fill(fds, -1);
    }

    boolean isOpen(int slot) {
        return fds[slot] >= 0;
    }

    private String p(String rel) {
        return rel.isEmpty() ? root.toString() : root.resolve(rel).toString();
    }

    private static String e(long rc) {
        return Sys.errno(rc);
    }

    String apply(Op op) {
        return switch (op.kind()) {
            case CREAT -> {
                int fd = Sys.open(p(op.a()), Sys.O_WRONLY | Sys.O_CREAT | op.n(), (int) op.x());
                yield fd < 0 ? e(fd) : "ok close=" + e(Sys.close(fd));
            }
            case MKDIR -> e(Sys.mkdir(p(op.a()), (int) op.x()));
            case RMDIR -> e(Sys.rmdir(p(op.a())));
            case UNLINK -> e(Sys.unlink(p(op.a())));
            case LINK -> e(Sys.link(p(op.a()), p(op.b())));
            case SYMLINK -> e(Sys.symlink(op.b(), p(op.a())));
            case RENAME -> e(Sys.renameat2(p(op.a()), p(op.b()), op.n()));
            case TRUNCATE -> e(Sys.truncate(p(op.a()), op.x()));
            case WRITE -> {
                int fd = Sys.open(p(op.a()), Sys.O_WRONLY, 0);
                if (fd < 0) {
                    yield e(fd);
                }
                long w = Sys.pwrite(fd, op.data(), op.x());
                yield (w < 0 ? e(w) : "wrote " + w) + " close=" + e(Sys.close(fd));
            }
            case READ -> {
                int fd = Sys.open(p(op.a()), Sys.O_RDONLY, 0);
                if (fd < 0) {
                    yield e(fd);
                }
                String r = read(fd, op.n(), op.x());
                yield r + " close=" + e(Sys.close(fd));
            }
            case CHMOD -> e(Sys.chmod(p(op.a()), (int) op.x()));
            case UTIMENS -> {
                int rc = Sys.utimens(p(op.a()), op.y(), op.n(), op.x(), op.n() / 2, op.slot());
                yield rc < 0 ? e(rc) : "ok " + times(op.a(), op.slot() == 0);
            }
            case STAT -> stat(op.a());
            case READLINK -> {
                long[] rc = new long[1];
                String t = Sys.readlink(p(op.a()), rc);
                yield t == null ? e(rc[0]) : "-> " + t;
            }
            case GETDENTS -> list(op.a());
            case COPYRANGE -> copyRange(op);
            case OPEN -> {
                String closed = fds[op.slot()] >= 0 ? "closed " + e(closeSlot(op.slot())) + " " : "";
                yield closed + open(op.slot(), op.a(), op.n(), (int) op.x());
            }
            case REOPEN -> {
                if (fds[op.slot()] < 0) {
                    yield "no fd";
                }
                String path = fdPath[op.slot()];
                int flags = fdFlags[op.slot()] & ~(Sys.O_CREAT | Sys.O_EXCL | Sys.O_TRUNC);
                yield "closed " + e(closeSlot(op.slot())) + " " + open(op.slot(), path, flags, 0);
            }
            case CLOSE -> fds[op.slot()] < 0 ? "no fd" : e(closeSlot(op.slot()));
            case FWRITE -> {
                if (fds[op.slot()] < 0) {
                    yield "no fd";
                }
                long w = Sys.pwrite(fds[op.slot()], op.data(), op.x());
                yield w < 0 ? e(w) : "wrote " + w;
            }
            case FREAD -> fds[op.slot()] < 0 ? "no fd" : read(fds[op.slot()], op.n(), op.x());
            case FTRUNCATE -> fds[op.slot()] < 0 ? "no fd" : e(Sys.ftruncate(fds[op.slot()], op.x()));
            case FSYNC -> op.n() == 1 ? rcByName(op.a(), Sys.O_WRONLY, Sys::fsync)
                    : fds[op.slot()] < 0 ? "no fd" : e(Sys.fsync(fds[op.slot()]));
            case FDATASYNC -> op.n() == 1 ? rcByName(op.a(), Sys.O_WRONLY, Sys::fdatasync)
                    : fds[op.slot()] < 0 ? "no fd" : e(Sys.fdatasync(fds[op.slot()]));
            case FSTAT -> fds[op.slot()] < 0 ? "no fd" : fstat(fds[op.slot()]);
            case CHOWN -> {
                int rc = Sys.chown(p(op.a()), (int) op.x(), (int) op.y(), op.slot());
                yield rc < 0 ? e(rc) : "ok " + owner(op.a(), op.slot() == 0);
            }
            case DREAD -> byName(op.a(), Sys.O_RDONLY | Sys.O_DIRECT, fd -> {
                long[] rc = new long[1];
                byte[] b = Sys.alignedPread(fd, op.n(), op.x(), rc);
                return b == null ? e(rc[0]) : "read " + b.length + " " + hash(b);
            });
            case DWRITE -> byName(op.a(), Sys.O_WRONLY | Sys.O_DIRECT, fd -> {
                long w = Sys.alignedPwrite(fd, op.data(), op.x());
                return w < 0 ? e(w) : "wrote " + w;
            });
            case MREAD -> byName(op.a(), Sys.O_RDONLY, fd -> Mapped.read(fd, op.x(), op.n()));
            case MWRITE -> byName(op.a(), Sys.O_RDWR, fd -> Mapped.write(fd, op.x(), op.data()));
            case SPLICE -> twoFiles(op, Sys::splice, "spliced ");
            case READV -> byName(op.a(), Sys.O_RDONLY, fd -> {
                long[] rc = new long[1];
                byte[] b = Sys.preadv(fd, op.n(), op.x(), op.slot(), rc);
                return b == null ? e(rc[0]) : "read " + b.length + " " + hash(b);
            });
            case WRITEV -> byName(op.a(), Sys.O_WRONLY, fd -> {
                long w = Sys.pwritev(fd, op.data(), op.x(), op.slot());
                return w < 0 ? e(w) : "wrote " + w;
            });
            case SYNC -> {
                Sys.sync();
                yield "ok";
            }
        };
    }

    /** What a call on an open descriptor tells. */
    interface FdCall {
        String on(int fd);
    }

    /** Opens {@code rel}, calls {@code call}, closes: the open's errno or the call's outcome and the close's. */
    private String byName(String rel, int flags, FdCall call) {
        int fd = Sys.open(p(rel), flags, 0);
        if (fd < 0) {
            return e(fd);
        }
        String r = call.on(fd);
        return r + " close=" + e(Sys.close(fd));
    }

    private String rcByName(String rel, int flags, IntUnaryOperator call) {
        return byName(rel, flags, fd -> e(call.applyAsInt(fd)));
    }

    private String owner(String rel, boolean follow) {
        long[] rc = new long[1];
        Sys.Stat s = Sys.stat(p(rel), follow, rc);
        return s == null ? "stat " + e(rc[0]) : "owner " + s.uid() + ":" + s.gid() + " perm "
                + Integer.toOctalString(s.mode() & 07777);
    }

    private String open(int slot, String rel, int flags, int mode) {
        int fd = Sys.open(p(rel), flags, mode);
        if (fd < 0) {
            return e(fd);
        }
        fds[slot] = fd;
        fdPath[slot] = rel;
        fdFlags[slot] = flags;
        return "ok";
    }

    private int closeSlot(int slot) {
        int rc = Sys.close(fds[slot]);
        fds[slot] = -1;
        return rc;
    }

    private static String read(int fd, int len, long off) {
        long[] rc = new long[1];
        byte[] b = Sys.pread(fd, len, off, rc);
        return b == null ? e(rc[0]) : "read " + b.length + " " + hash(b);
    }

    private String times(String rel, boolean follow) {
        long[] rc = new long[1];
        Sys.Stat s = Sys.stat(p(rel), follow, rc);
        return s == null ? "stat " + e(rc[0]) : "mtime " + s.mtimeSec() + "." + s.mtimeNsec()
                + (atimes ? " atime " + s.atimeSec() + "." + s.atimeNsec() : "");
    }

    private String stat(String rel) {
        long[] rc = new long[1];
        Sys.Stat s = Sys.stat(p(rel), false, rc);
        if (s == null) {
            return e(rc[0]);
        }
        String size = s.type() == Sys.S_IFDIR ? "" : " size " + s.size();
        return "type " + Integer.toOctalString(s.type()) + " perm " + Integer.toOctalString(s.mode() & 07777)
                + " nlink " + s.nlink() + size;
    }

    /**
     * Not the link count: the server has no fstat (java.nio) and answers an open file's count
     * from when it was opened, so a file unlinked while open shows 1 instead of 0 (reported).
     */
    private static String fstat(int fd) {
        long[] rc = new long[1];
        Sys.Stat s = Sys.fstat(fd, rc);
        return s == null ? e(rc[0]) : "type " + Integer.toOctalString(s.type()) + " perm "
                + Integer.toOctalString(s.mode() & 07777) + " size " + s.size();
    }

    private String list(String rel) {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(rel.isEmpty() ? root : root.resolve(rel))) {
            for (Path c : ds) {
                names.add(c.getFileName().toString());
            }
        } catch (IOException ex) {
            return ex.getClass().getSimpleName();
        }
        Collections.sort(names);
        return names.toString();
    }

    private String copyRange(Op op) {
        return twoFiles(op, Sys::copyFileRange, "copied ");
    }

    /** A copy from {@code op.a()} at x to {@code op.b()} at y of n bytes. */
    interface Copy {
        long copy(int in, long inOff, int out, long outOff, long len);
    }

    private String twoFiles(Op op, Copy how, String what) {
        int in = Sys.open(p(op.a()), Sys.O_RDONLY, 0);
        if (in < 0) {
            return "in " + e(in);
        }
        int out = Sys.open(p(op.b()), Sys.O_WRONLY, 0);
        if (out < 0) {
            Sys.close(in);
            return "out " + e(out);
        }
        long c = how.copy(in, op.x(), out, op.y(), op.n());
        String r = c < 0 ? e(c) : what + c;
        return r + " close=" + e(Sys.close(out)) + "," + e(Sys.close(in));
    }

    static String hash(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b), 0, 8);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Closes every open descriptor; the outcome, slot by slot, to compare between sides. */
    String closeAll() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < SLOTS; i++) {
            if (fds[i] >= 0) {
                sb.append(i).append('=').append(e(closeSlot(i))).append(' ');
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        closeAll();
    }
}
