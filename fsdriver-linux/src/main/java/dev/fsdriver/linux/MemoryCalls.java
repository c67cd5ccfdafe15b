package dev.fsdriver.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** Anonymous mappings: mmap, munmap. Conventions as {@link FileCalls}. */
public final class MemoryCalls {
    private static final MethodHandle MMAP = Native.downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = Native.downcall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;   // the same on x86-64 and aarch64

    private MemoryCalls() {}

    /**
     * {@code size} bytes of private anonymous memory, unmapped when {@code arena} closes. Its pages
     * are zero and take no memory until first written: unlike {@link Arena#allocate}, which zeroes
     * (so touches) all of it, a large buffer of which a caller mostly uses the start costs only
     * what it uses. Page-aligned.
     */
    public static MemorySegment mapAnonymous(long size, Arena arena) throws ErrnoException {
        MemorySegment st = Native.state();
        MemorySegment p;
        try {
            p = (MemorySegment) MMAP.invokeExact(st, MemorySegment.NULL, size, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (p.address() == -1L) {   // MAP_FAILED
            throw Native.failure("mmap", st);
        }
        long address = p.address();
        return p.reinterpret(size, arena, unused -> unmap(address, size));
    }

    private static void unmap(long address, long size) {
        try {
            int r = (int) MUNMAP.invokeExact(Native.state(), MemorySegment.ofAddress(address), size);
            if (r < 0) {
                throw new IllegalStateException("munmap of " + size + " bytes failed: errno " + Native.errno(Native.state()));
            }
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }
}
