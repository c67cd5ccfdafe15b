package dev.fsdriver.client.events;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The path-based system calls the {@link Injector} performs on its own mount, through FFM.
 * One VFS operation each, nothing else (java.nio would add lstat calls and open/close pairs,
 * and with them extra, dishonest inotify events). Each method returns 0 or a negative errno.
 * The path calls run only on the injecting thread, inside {@link Injector#perform} (they throw
 * elsewhere): only there are the requests they cause refused unless answered locally.
 */
final class LibC {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle MKNOD = downcall("mknod", ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG);
    private static final MethodHandle MKDIR = downcall("mkdir", ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
    private static final MethodHandle SYMLINK = downcall("symlink", ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
    private static final MethodHandle UNLINK = downcall("unlink", ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
    private static final MethodHandle RMDIR = downcall("rmdir", ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
    private static final MethodHandle RENAME = downcall("rename", ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
    private static final MethodHandle TRUNCATE = downcall("truncate", ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
    private static final MethodHandle CHMOD = downcall("chmod", ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
    private static final MethodHandle GETTID = LINKER.downcallHandle(
            LINKER.defaultLookup().find("gettid").orElseThrow(() -> new UnsatisfiedLinkError("libc has no gettid")),
            FunctionDescriptor.of(ValueLayout.JAVA_INT));

    private LibC() {}

    private static MethodHandle downcall(String name, ValueLayout ret, ValueLayout... args) {
        MemorySegment fn = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(fn, FunctionDescriptor.of(ret, args), Linker.Option.captureCallState("errno"));
    }

    private static int result(int rc, MemorySegment state) {
        return rc == 0 ? 0 : -(int) ERRNO.get(state, 0L);
    }

    /** {@code pid_t gettid(void)}: the calling thread's id, which FUSE reports as the request's pid. */
    static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code int mknod(const char *path, mode_t mode, dev_t dev)} */
    static int mknod(String path, int mode) {
        Injector.requireInjectingThread();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CALL_STATE);
            return result((int) MKNOD.invokeExact(st, a.allocateFrom(path), mode, 0L), st);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code int mkdir(const char *path, mode_t mode)} */
    static int mkdir(String path, int mode) {
        Injector.requireInjectingThread();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CALL_STATE);
            return result((int) MKDIR.invokeExact(st, a.allocateFrom(path), mode), st);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code int symlink(const char *target, const char *linkpath)} */
    static int symlink(String target, String path) {
        Injector.requireInjectingThread();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CALL_STATE);
            return result((int) SYMLINK.invokeExact(st, a.allocateFrom(target), a.allocateFrom(path)), st);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code int unlink(const char *path)} */
    static int unlink(String path) {
        Injector.requireInjectingThread();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CALL_STATE);
            return result((int) UNLINK.invokeExact(st, a.allocateFrom(path)), st);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code int rmdir(const char *path)} */
    static int rmdir(String path) {
        Injector.requireInjectingThread();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CALL_STATE);
            return result((int) RMDIR.invokeExact(st, a.allocateFrom(path)), st);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code int rename(const char *oldpath, const char *newpath)} */
    static int rename(String from, String to) {
        Injector.requireInjectingThread();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CALL_STATE);
            return result((int) RENAME.invokeExact(st, a.allocateFrom(from), a.allocateFrom(to)), st);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code int truncate(const char *path, off_t length)} */
    static int truncate(String path, long length) {
        Injector.requireInjectingThread();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CALL_STATE);
            return result((int) TRUNCATE.invokeExact(st, a.allocateFrom(path), length), st);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code int chmod(const char *path, mode_t mode)} */
    static int chmod(String path, int mode) {
        Injector.requireInjectingThread();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CALL_STATE);
            return result((int) CHMOD.invokeExact(st, a.allocateFrom(path), mode), st);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
