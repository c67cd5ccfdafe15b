package dev.fsdriver.fuse.linux;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aborts this process's FUSE connection when the process dies without closing it: out of memory
 * (ExitOnOutOfMemoryError), a crash, SIGKILL. The kernel ends a connection when the last
 * /dev/fuse descriptor closes, and a dying process closes its descriptors only once its last
 * thread has exited; a thread of it that waits in the kernel for this very daemon (a request of
 * its own that a reader had taken, or a notification waiting for an inode lock that a request to
 * the mount holds) waits uninterruptibly and never exits. The process then stayed a zombie holding
 * the connection, and every caller of the mount hung until someone wrote its abort file by hand
 * (seen 2026-12-06 after an OutOfMemoryError).
 *
 * <p>How: a child {@code setpriv --pdeathsig USR1 sh} (util-linux); the kernel signals it when
 * the thread that started it exits, which is a thread of this class that lives as long as the
 * process; the shell then writes 1 to /sys/fs/fuse/connections/N/abort. It ignores the signals
 * a process group or a service stop sends (SIGTERM to the whole cgroup: an abort then would cut
 * off the clean unmount the JVM is doing). A close (or the connection's end) first closes the
 * shell's stdin, and it exits without writing: a later mount may get the same connection number.
 * Costs one idle shell per mount. Without setpriv or fusectl: a warning, no watch.
 */
public final class DeathWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeathWatch.class);
    private static final String SCRIPT = "trap '' TERM INT QUIT HUP; trap 'echo 1 > \"$0\"; exit 0' USR1; echo ready; read _; exit 0";

    private final Process shell;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DeathWatch(Process shell) {
        this.shell = shell;
    }

    /** Watches connection {@code connection} (the mount's minor device number); null when it cannot. */
    public static DeathWatch start(int connection) {
        Path abort = FuseMounter.abortFile(connection);
        if (!Files.exists(abort)) {
            log.warn("no {} (fusectl not mounted): if this process dies without unmounting, callers of the mount"
                    + " may hang until the connection is aborted by hand", abort);
            return null;
        }
        List<String> command = List.of("setpriv", "--pdeathsig", "USR1", "sh", "-c", SCRIPT, abort.toString());
        CompletableFuture<Process> started = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("fuse-death-watch-" + connection).start(() -> {
            Process shell;
            try {
                shell = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            } catch (Throwable e) {
                started.completeExceptionally(e);
                return;
            }
            started.complete(shell);
            // This thread's end is what signals the shell: it ends with the process, or once the shell is gone.
            while (true) {
                try {
                    shell.waitFor();
                    return;
                } catch (InterruptedException e) {
                    // only the shell's end ends this thread
                }
            }
        });
        Process shell = null;
        try {
            shell = started.get(10, TimeUnit.SECONDS);
            BufferedReader out = new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.US_ASCII));
            String ready = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return null;
                }
            }, Thread::startVirtualThread).get(10, TimeUnit.SECONDS);
            if (!"ready".equals(ready)) {
                throw new IOException("it ended before it was ready (a setpriv without --pdeathsig?)");
            }
            return new DeathWatch(shell);
        } catch (ExecutionException | IOException | TimeoutException e) {
            log.warn("cannot start the watch that aborts the FUSE connection if this process dies ({}): callers of"
                    + " the mount may hang if it does", e instanceof ExecutionException ? e.getCause() : e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (shell != null) {
            shell.destroyForcibly();
        }
        return null;
    }

    /** Stands the watch down: the shell exits without aborting anything. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            shell.getOutputStream().close(); // read gets EOF
            if (!shell.waitFor(2, TimeUnit.SECONDS)) {
                shell.destroyForcibly(); // SIGKILL: no trap runs
                shell.waitFor(2, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            shell.destroyForcibly();
        } catch (InterruptedException e) {
            shell.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
