package dev.fsdriver.backend.windows;

import com.sun.jna.Memory;
import com.sun.jna.platform.win32.WinNT.HANDLE;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the whole share with one overlapped ReadDirectoryChangesExW (extended records, with
 * ReadDirectoryChangesW as fallback) on the root with bWatchSubtree, on its own thread.
 *
 * <p>The thread waits for the completion with GetOverlappedResultEx and a one-second timeout;
 * on a timeout it turns an unpaired RENAMED_OLD_NAME into DELETED and checks that the root is
 * still the directory it started with (deleting or renaming the watched root produces no event:
 * research section 10), reporting DELETED of the root and stopping if not. {@link #close()}
 * cancels the read with CancelIoEx, which completes it with ERROR_OPERATION_ABORTED.
 * The buffer (64 KiB: the limit over SMB) and the OVERLAPPED stay allocated, and so reachable,
 * until the thread has seen the cancelled completion.
 */
final class WindowsWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WindowsWatcher.class);
    private static final int BUFFER = 64 * 1024;
    private static final int POLL_MS = 1000;

    private final WindowsBackend backend;
    private final String root;
    private final String rootFinal;
    private final HANDLE dir;
    private final HANDLE event;
    private final Memory buffer = new Memory(BUFFER);
    private final Memory overlapped = new Memory(Win32.OVERLAPPED_SIZE);
    private final ChangeTranslator translator;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean closing;

    private WindowsWatcher(WindowsBackend backend, String root, String rootFinal, ChangeListener listener) throws WindowsException {
        this.backend = backend;
        this.root = root;
        this.rootFinal = rootFinal;
        this.dir = Win32.CreateFileW(root, Win32.FILE_LIST_DIRECTORY | Win32.SYNCHRONIZE, Win32.OPEN_EXISTING,
                Win32.FILE_FLAG_BACKUP_SEMANTICS | Win32.FILE_FLAG_OVERLAPPED);
        this.event = Win32.CreateEventW(true);
        this.translator = new ChangeTranslator(listener::onChange, backend::isDirectoryQuietly);
        this.thread = Thread.ofPlatform().daemon().name("fsdriver-watch " + LongPaths.stripPrefix(rootFinal)).unstarted(this::run);
    }

    static WindowsWatcher start(WindowsBackend backend, String root, String rootFinal, ChangeListener listener) throws FsException {
        try {
            WindowsWatcher w = new WindowsWatcher(backend, root, rootFinal, listener);
            w.arm(); // the first read is posted before start returns: nothing after watch() is missed
            w.thread.start();
            return w;
        } catch (WindowsException e) {
            throw e.toFsException("watch " + root);
        }
    }

    private boolean extended() {
        return backend.features().has(Feature.NOTIFY_EXTENDED);
    }

    private void arm() throws WindowsException {
        overlapped.clear();
        overlapped.setPointer(24, event.getPointer());
        if (extended()) {
            try {
                Win32.ReadDirectoryChangesExW(dir, buffer, BUFFER, true, Win32.FILE_NOTIFY_CHANGE_ALL, overlapped,
                        Win32.ReadDirectoryNotifyExtendedInformation);
                return;
            } catch (WindowsException e) {
                if (!e.isUnsupported()) {
                    throw e;
                }
                backend.features().fallBack(Feature.NOTIFY_EXTENDED, e.getMessage());
            }
        }
        Win32.ReadDirectoryChangesW(dir, buffer, BUFFER, true, Win32.FILE_NOTIFY_CHANGE_ALL, overlapped);
    }

    private void run() {
        try {
            boolean ext = extended();
            while (true) {
                int error = 0;
                int bytes = 0;
                try {
                    bytes = Win32.GetOverlappedResultEx(dir, overlapped, POLL_MS);
                } catch (WindowsException e) {
                    error = e.win32Error();
                }
                if (error == WinErrors.ERROR_WAIT_TIMEOUT) {
                    if (closing) {
                        // close() cancelled before this thread re-armed (its CancelIoEx found no
                        // read): cancel the new read from here, then wait for its aborted completion.
                        cancel();
                        continue;
                    }
                    translator.flush();
                    if (!closing && !rootStillThere()) {
                        translator.rootGone();
                        return;
                    }
                    continue; // the read is still pending
                }
                ChangeTranslator.Outcome o = translator.completed(error, buffer.getByteBuffer(0, BUFFER), bytes, ext);
                if (closing || o == ChangeTranslator.Outcome.STOP) {
                    return;
                }
                if (o == ChangeTranslator.Outcome.CHECK_ROOT) {
                    if (!rootStillThere()) {
                        translator.rootGone();
                        return;
                    }
                    translator.overflow(); // the failed read may have lost events
                }
                arm();
                ext = extended();
            }
        } catch (WindowsException | RuntimeException e) {
            // Typically re-arming failed because the root went away (ERROR_ACCESS_DENIED).
            if (!closing) {
                if (rootStillThere()) {
                    LOG.warn("watcher for {} stopped: {}", rootFinal, e.toString());
                    translator.overflow();
                } else {
                    translator.rootGone();
                }
            }
        } finally {
            stopped.countDown();
        }
    }

    /** True if the root path still opens as the same directory (same final path). */
    private boolean rootStillThere() {
        try {
            HANDLE h = Win32.CreateFileW(root, Win32.FILE_READ_ATTRIBUTES | Win32.SYNCHRONIZE, Win32.OPEN_EXISTING,
                    Win32.FILE_FLAG_BACKUP_SEMANTICS);
            try (Memory path = new Memory(2 * 32_768)) {
                return Win32.GetFinalPathNameByHandleW(h, path).equalsIgnoreCase(rootFinal)
                        && Win32.GetFinalPathNameByHandleW(dir, path).equalsIgnoreCase(rootFinal);
            } finally {
                Win32.CloseHandle(h);
            }
        } catch (WindowsException e) {
            return false;
        }
    }

    private void cancel() {
        try {
            Win32.CancelIoEx(dir, overlapped);
        } catch (WindowsException e) {
            LOG.debug("CancelIoEx: {}", e.getMessage()); // ERROR_NOT_FOUND: no read pending
        }
    }

    @Override
    public void close() {
        closing = true;
        cancel(); // the watcher thread cancels again if it re-armed meanwhile (see run)
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // keep the buffers: the kernel may still write into them
        }
        try {
            Win32.CloseHandle(dir);
            Win32.CloseHandle(event);
        } catch (WindowsException e) {
            LOG.debug("closing watcher handles: {}", e.getMessage());
        }
        buffer.close();
        overlapped.close();
    }
}
