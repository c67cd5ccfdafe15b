package dev.fsdriver.backend.windows;

import com.sun.jna.Memory;
import com.sun.jna.platform.win32.WinNT.HANDLE;
import dev.fsdriver.backend.ChangeListener;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.windows.VolumeFeatures.Feature;
import dev.fsdriver.backend.windows.win32.Win32;
import dev.fsdriver.backend.windows.win32.WindowsException;
import dev.fsdriver.common.Errno;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the whole share with one overlapped ReadDirectoryChangesExW (extended records, with
 * ReadDirectoryChangesW as fallback) on the root with bWatchSubtree, on its own thread. The
 * loop's decisions (post from this thread, copy then re-post then translate, backoff, overflow,
 * no read left pending) are {@link WatchLoop}'s; this class is its native side.
 *
 * <p>The thread waits with GetOverlappedResultEx and a one-second timeout; on a timeout the loop
 * turns an unpaired RENAMED_OLD_NAME into DELETED and checks that the root is still the directory
 * it started with (deleting or renaming the watched root produces no event: research section
 * 10). {@link #close()} cancels the read with CancelIoEx and waits for the thread, which returns
 * only once no read is pending; then the handles are closed and the buffers freed.
 */
final class WindowsWatcher implements AutoCloseable, WatchLoop.Port {
    private static final Logger LOG = LoggerFactory.getLogger(WindowsWatcher.class);
    private static final int BUFFER = 64 * 1024; // the limit over SMB

    private final WindowsBackend backend;
    private final String root;
    private final String rootFinal;
    private final HANDLE dir;
    private final HANDLE event;
    private final Memory buffer = new Memory(BUFFER);
    private final Memory overlapped = new Memory(Win32.OVERLAPPED_SIZE);
    private final WatchLoop loop;
    private final Thread thread;
    /** Completed by the thread once its first read is posted (or with the failure). */
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final AtomicBoolean freed = new AtomicBoolean();

    private WindowsWatcher(WindowsBackend backend, String root, String rootFinal, HANDLE dir, HANDLE event,
            ChangeListener listener) {
        this.backend = backend;
        this.root = root;
        this.rootFinal = rootFinal;
        this.dir = dir;
        this.event = event;
        ChangeTranslator translator = new ChangeTranslator(listener::onChange, backend::isDirectoryQuietly, this::longName);
        this.loop = new WatchLoop(this, translator, LongPaths.stripPrefix(rootFinal));
        this.thread = Thread.ofPlatform().daemon().name("fsdriver-watch " + LongPaths.stripPrefix(rootFinal)).unstarted(this::run);
    }

    /** Returns once the first read is posted (by the watcher's own thread): nothing after watch() is missed. */
    static WindowsWatcher start(WindowsBackend backend, String root, String rootFinal, ChangeListener listener) throws FsException {
        HANDLE dir = null;
        HANDLE event = null;
        try {
            dir = Win32.CreateFileW(root, Win32.FILE_LIST_DIRECTORY | Win32.SYNCHRONIZE, Win32.OPEN_EXISTING,
                    Win32.FILE_FLAG_BACKUP_SEMANTICS | Win32.FILE_FLAG_OVERLAPPED);
            event = Win32.CreateEventW(true);
        } catch (WindowsException e) {
            closeQuietly(dir);
            throw e.toFsException("watch " + root);
        }
        WindowsWatcher w = new WindowsWatcher(backend, root, rootFinal, dir, event, listener);
        w.thread.start();
        try {
            w.started.get();
            return w;
        } catch (ExecutionException e) {
            w.freeAfterThread();
            throw e.getCause() instanceof WindowsException we ? we.toFsException("watch " + root)
                    : new FsException(Errno.EIO, "watch " + root + ": " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            w.close();
            throw new FsException(Errno.EINTR, "watch " + root + ": interrupted");
        }
    }

    private void run() {
        try {
            loop.start();
        } catch (WindowsException | RuntimeException e) {
            started.completeExceptionally(e);
            return;
        }
        started.complete(null);
        try {
            loop.run();
        } catch (RuntimeException e) {
            LOG.error("watcher for {} failed: change events stop", LongPaths.stripPrefix(rootFinal), e);
        }
    }

    @Override
    public boolean arm() throws WindowsException {
        overlapped.clear();
        overlapped.setPointer(24, event.getPointer());
        if (backend.features().has(Feature.NOTIFY_EXTENDED)) {
            try {
                Win32.ReadDirectoryChangesExW(dir, buffer, BUFFER, true, Win32.FILE_NOTIFY_CHANGE_ALL, overlapped,
                        Win32.ReadDirectoryNotifyExtendedInformation);
                return true;
            } catch (WindowsException e) {
                if (!e.isUnsupported()) {
                    throw e;
                }
                backend.features().fallBack(Feature.NOTIFY_EXTENDED, e.getMessage());
            }
        }
        Win32.ReadDirectoryChangesW(dir, buffer, BUFFER, true, Win32.FILE_NOTIFY_CHANGE_ALL, overlapped);
        return false;
    }

    @Override
    public WatchLoop.Completion await(int millis) {
        WatchLoop.Completion c;
        try {
            c = new WatchLoop.Completion(0, Win32.GetOverlappedResultEx(dir, overlapped, millis));
        } catch (WindowsException e) {
            c = new WatchLoop.Completion(e.win32Error(), 0);
        }
        if (!c.timedOut() && LOG.isDebugEnabled()) {
            // what an OVERFLOW came from: the IO_STATUS_BLOCK as the read left it
            LOG.debug("watcher for {}: completion error {} bytes {} (Internal 0x{}, InternalHigh {})", LongPaths.stripPrefix(rootFinal),
                    c.error(), c.bytes(), Long.toHexString(overlapped.getLong(0)), overlapped.getLong(8));
        }
        return c;
    }

    @Override
    public ByteBuffer copy(int bytes) {
        return ByteBuffer.wrap(buffer.getByteArray(0, Math.min(bytes, BUFFER)));
    }

    @Override
    public void cancel() {
        try {
            Win32.CancelIoEx(dir, overlapped);
        } catch (WindowsException e) {
            LOG.debug("CancelIoEx: {}", e.getMessage());
        }
    }

    /** True if the root path still opens as the same directory (same final path). */
    @Override
    public boolean rootStillThere() {
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

    /**
     * The long form of a root-relative name (GetLongPathNameW), null if it does not exist. The
     * answer keeps the number of components, so the last ones are the relative part (the root's
     * own spelling may differ).
     */
    String longName(String relative) {
        return longName(root, relative);
    }

    static String longName(String root, String relative) {
        try {
            String full = root + "\\" + relative;
            String plain = LongPaths.stripPrefix(full);
            // Below MAX_PATH without the \\?\ prefix: Wine 8 returns a \\?\ path unconverted
            // (seen in WindowsWatcherOnWindowsTest); Windows documents both forms.
            full = Win32.GetLongPathNameW(plain.length() < 260 ? plain : full);
            String[] parts = full.split("\\\\");
            int n = relative.split("\\\\", -1).length;
            if (parts.length < n) {
                return null;
            }
            return String.join("\\", Arrays.copyOfRange(parts, parts.length - n, parts.length));
        } catch (WindowsException e) {
            return null;
        }
    }

    @Override
    public void close() {
        loop.requestClose(); // the thread cancels again if it re-posted meanwhile (WatchLoop.run)
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // keep the buffers: the kernel may still write into them
        }
        freeAfterThread();
    }

    /** Only once the thread has ended (so no read is pending). */
    private void freeAfterThread() {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (!freed.compareAndSet(false, true)) {
            return;
        }
        closeQuietly(dir);
        closeQuietly(event);
        buffer.close();
        overlapped.close();
    }

    private static void closeQuietly(HANDLE h) {
        if (h == null) {
            return;
        }
        try {
            Win32.CloseHandle(h);
        } catch (WindowsException e) {
            LOG.debug("closing watcher handle: {}", e.getMessage());
        }
    }
}
