package dev.fsdriver.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.fsdriver.common.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/** Processes and identities: posix_spawnp, waitpid, getuid, getgid, geteuid, gettid. Conventions as {@link FileCalls}. */
public final class ProcessCalls {
    private static final MethodHandle POSIX_SPAWNP = Native.downcall("posix_spawnp",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle WAITPID = Native.downcall("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETUID = Native.downcallNoErrno("getuid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETGID = Native.downcallNoErrno("getgid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETEUID = Native.downcallNoErrno("geteuid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETTID = Native.downcallNoErrno("gettid", FunctionDescriptor.of(JAVA_INT));

    private ProcessCalls() {}

    /**
     * {@code int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
     * const posix_spawnattr_t *attr, char *const argv[], char *const envp[])}: the child inherits
     * every fd without FD_CLOEXEC (unlike {@link ProcessBuilder}, which closes them). Returns the pid.
     */
    public static int posix_spawnp(List<String> argv, List<String> envp) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pid = arena.allocate(JAVA_INT);
            int r = (int) POSIX_SPAWNP.invokeExact(Native.state(), pid, Native.cstr(arena, argv.getFirst()),
                    MemorySegment.NULL, MemorySegment.NULL, stringArray(arena, argv), stringArray(arena, envp));
            if (r != 0) {
                throw new ErrnoException("posix_spawnp " + argv.getFirst(), r);  // returns the error number
            }
            return pid.get(JAVA_INT, 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    private static MemorySegment stringArray(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, Native.cstr(arena, strings.get(i)));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    /** {@code pid_t waitpid(pid_t pid, int *wstatus, int options)}, retried on EINTR; returns the raw wait status. */
    public static int waitpid(int pid) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment status = arena.allocate(JAVA_INT);
            int r;
            do {
                r = (int) WAITPID.invokeExact(st, pid, status, 0);
            } while (r < 0 && Native.errno(st) == Errno.EINTR);
            if (r < 0) {
                throw Native.failure("waitpid", st);
            }
            return status.get(JAVA_INT, 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /** {@code uid_t getuid(void)} */
    public static int getuid() {
        return id(GETUID);
    }

    /** {@code gid_t getgid(void)} */
    public static int getgid() {
        return id(GETGID);
    }

    /** {@code uid_t geteuid(void)} */
    public static int geteuid() {
        return id(GETEUID);
    }

    /** {@code pid_t gettid(void)}: the calling thread's id, which FUSE reports as a request's pid. */
    public static int gettid() {
        return id(GETTID);
    }

    /** True when geteuid was found (what {@link AtCalls#AVAILABLE} also needs). */
    static boolean geteuidAvailable() {
        return GETEUID != null;
    }

    private static int id(MethodHandle h) {
        try {
            return (int) h.invokeExact();
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }
}
