package dev.fsdriver.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading directories: getdents64 on a descriptor opened O_RDONLY|O_DIRECTORY. Conventions as
 * {@link FileCalls}; errno from the call, as everywhere in this package.
 */
public final class DirCalls {
    /** d_type values (DT_UNKNOWN: the file system does not say; lstat then). */
    public static final int DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10,
            DT_SOCK = 12;

    /** glibc >= 2.30. */
    private static final MethodHandle GETDENTS64 = Native.downcall("getdents64",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final int BUF = 32 * 1024;
    /**
     * struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }:
     * records are 8-byte aligned, so the aligned layouts apply (the ones AtCalls uses already).
     */
    private static final int D_INO = 0, D_RECLEN = 16, D_TYPE = 18, D_NAME = 19;

    /** True where getdents64 was found. */
    public static final boolean AVAILABLE = GETDENTS64 != null;

    /** One directory entry: its name (UTF-8), inode number and d_type. */
    public record Entry(String name, long ino, int type) {}

    private DirCalls() {}

    /**
     * {@code ssize_t getdents64(int fd, void *dirp, size_t count)} until end of directory: every
     * entry but "." and "..", read from the descriptor's current position.
     */
    public static List<Entry> readdir(int fd) throws ErrnoException {
        List<Entry> out = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(BUF, 8);
            MemorySegment st = Native.state();
            while (true) {
                long n;
                try {
                    n = (long) GETDENTS64.invokeExact(st, fd, buf, (long) BUF);
                } catch (Throwable t) {
                    throw Native.unexpected(t);
                }
                if (n < 0) {
                    throw Native.failure("getdents64", st);
                }
                if (n == 0) {
                    return out;
                }
                for (long off = 0; off < n; ) {
                    int reclen = Short.toUnsignedInt(buf.get(JAVA_SHORT, off + D_RECLEN));
                    if (reclen <= D_NAME || off + reclen > n) {
                        throw new IllegalStateException("getdents64: record of " + reclen + " bytes at " + off + " of " + n);
                    }
                    String name = name(buf, off + D_NAME, off + reclen);
                    if (!name.equals(".") && !name.equals("..")) {
                        out.add(new Entry(name, buf.get(JAVA_LONG, off + D_INO),
                                Byte.toUnsignedInt(buf.get(JAVA_BYTE, off + D_TYPE))));
                    }
                    off += reclen;
                }
            }
        }
    }

    /** The NUL-terminated name in [from, end) of {@code buf} (copied once, scanned as a Java array). */
    private static String name(MemorySegment buf, long from, long end) {
        byte[] b = buf.asSlice(from, end - from).toArray(JAVA_BYTE);
        int len = 0;
        while (len < b.length && b[len] != 0) {
            len++;
        }
        return new String(b, 0, len, StandardCharsets.UTF_8);
    }
}
