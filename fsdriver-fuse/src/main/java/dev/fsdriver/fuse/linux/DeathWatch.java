package dev.fsdriver.fuse.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
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
 * <p>How: a child {@code setpriv --pdeathsig TERM sh} (util-linux); the kernel signals it when
 * the thread that started it exits, which is a thread of this class that lives as long as the
 * process; the shell then writes 1 to /sys/fs/fuse/connections/N/abort. A clean close first
 * closes the shell's stdin, and it exits without writing (a later mount may get the same
 * connection number). Costs one idle shell per mount. Without setpriv or fusectl: a warning, no
 * watch.
 */
public final class DeathWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeathWatch.class);

    private final Process shell;

    private DeathWatch(Process shell) {
        this.shell = shell;
    }

    /** Watches connection {@code connection} (the mount's minor device number); null when it cannot. */
    public static DeathWatch start(int connection) {
        Path abort = Path.of("/sys/fs/fuse/connections/" + connection + "/abort");
        if (!Files.exists(abort)) {
            log.warn("no {} (fusectl not mounted): if this process dies without unmounting, callers of the mount"
                    + " may hang until the connection is aborted by hand", abort);
            return null;
        }
        List<String> command = List.of("setpriv", "--pdeathsig", "TERM", "sh", "-c",
                "trap 'echo 1 > \"$0\"; exit 0' TERM; read _; exit 0", abort.toString());
        CompletableFuture<DeathWatch> started = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("fuse-death-watch-" + connection).start(() -> {
            DeathWatch watch;
            try {
                watch = new DeathWatch(new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start());
            } catch (IOException | RuntimeException e) {
                started.completeExceptionally(e);
                return;
            }
            started.complete(watch);
            awaitQuietly(watch); // this thread's end is what signals the shell: it ends with the process, or after close()
        });
        try {
            return started.get();
        } catch (ExecutionException e) {
            log.warn("cannot start the watch that aborts the FUSE connection if this process dies ({}): callers of"
                    + " the mount may hang if it does", e.getCause().toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void awaitQuietly(DeathWatch watch) {
        synchronized (watch) {
            while (watch.shell.isAlive()) {
                try {
                    watch.wait();
                } catch (InterruptedException e) {
                    // only close() ends this thread early
                }
            }
        }
    }

    /** Stands the watch down: the shell exits without aborting anything. */
    @Override
    public void close() {
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
        synchronized (this) {
            notifyAll();
        }
    }
}
