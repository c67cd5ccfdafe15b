package dev.fsdriver.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What every call class of this package shares: glibc's symbols, downcall handles that capture
 * errno, a per-thread capture area, C strings. Linux x86-64 and aarch64 only; elsewhere every
 * handle is null and the call classes say so ({@code AVAILABLE}).
 */
final class Native {
    static final boolean X86_64 = Arrays.asList("amd64", "x86_64").contains(System.getProperty("os.arch"));
    /** Linux on an architecture whose struct layouts this package knows. */
    static final boolean LINUX = System.getProperty("os.name", "").startsWith("Linux")
            && (X86_64 || "aarch64".equals(System.getProperty("os.arch")));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    /** One capture area per thread: no allocation per call. */
    private static final ThreadLocal<MemorySegment> THREAD_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STATE));

    private Native() {}

    /**
     * A handle for libc's {@code name} whose first parameter is the errno capture area, or null
     * when this is not Linux or libc has no such symbol (an old glibc).
     */
    static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... more) {
        if (!LINUX) {
            return null;
        }
        Linker.Option[] options = Arrays.copyOf(more, more.length + 1);
        options[more.length] = CAPTURE_ERRNO;
        return LINKER.defaultLookup().find(name).map(s -> LINKER.downcallHandle(s, fd, options)).orElse(null);
    }

    /**
     * Whether libc has {@code name}, without linking a handle (linking costs milliseconds at
     * start-up: handles a process may never use are linked lazily, on first use).
     */
    static boolean exists(String name) {
        return LINUX && LINKER.defaultLookup().find(name).isPresent();
    }

    /** A handle for a libc function that cannot fail (getuid, gettid...), or null as above. */
    static MethodHandle downcallNoErrno(String name, FunctionDescriptor fd) {
        if (!LINUX) {
            return null;
        }
        return LINKER.defaultLookup().find(name).map(s -> LINKER.downcallHandle(s, fd)).orElse(null);
    }

    /** The calling thread's errno capture area. */
    static MemorySegment state() {
        return THREAD_STATE.get();
    }

    /** Bytes a caller-provided capture area needs. */
    static long stateSize() {
        return STATE.byteSize();
    }

    /** The errno the last call captured into {@code state}. */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** The exception for a failed call: errno from its capture area. */
    static ErrnoException failure(String function, MemorySegment state) {
        return new ErrnoException(function, errno(state));
    }

    /**
     * What invokeExact threw other than our own exception: the handle and its call site disagree
     * (a bug here) or the JVM failed; never an errno.
     */
    static RuntimeException unexpected(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }

    /** {@code s} as a NUL-terminated UTF-8 string in {@code arena}. */
    static MemorySegment cstr(Arena arena, String s) {
        return arena.allocateFrom(s, StandardCharsets.UTF_8);
    }
}
