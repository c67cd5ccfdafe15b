package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.NotifyBufferParser.NotifyRecord;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns notify records into {@link Change}s, in order, for one watcher (not thread-safe: the
 * watcher thread owns it).
 *
 * <ul>
 *   <li>ADDED -> CREATED, REMOVED -> DELETED, MODIFIED -> MODIFIED (ATTRIB for a directory:
 *       Windows reports a directory as modified when its entries or times change, which for the
 *       client means "attributes changed", not content).</li>
 *   <li>RENAMED_OLD_NAME is held until the next record. A following RENAMED_NEW_NAME makes one
 *       RENAMED(old, new), also when the pair is split across two buffers. Anything else
 *       (or {@link #flush()}, which the watcher calls when no more data comes) turns the held
 *       old name into DELETED; a NEW_NAME without an OLD one is CREATED (a rename from outside
 *       the watched tree).</li>
 *   <li>{@link #overflow()} drops the held name and reports OVERFLOW of the whole share.</li>
 *   <li>A name that is not a valid share path (cannot happen on NTFS, but a buffer is data
 *       from outside) also becomes OVERFLOW: the client rescans instead of missing it.</li>
 * </ul>
 * Directory-ness: extended records carry the attributes; for basic records {@code isDirectory}
 * is asked (the watcher stats the path; false when it is gone).
 *
 * <p>8.3 short names (a change made through {@code LONGFI~1.TXT}) are turned into long names by
 * {@code longNames} (GetLongPathNameW, see {@link ShortNames}) first. A short-looking name that no
 * longer resolves (deleted or renamed away through its short name) becomes OVERFLOW of the
 * nearest directory whose name is known: the client rescans that directory rather than keep a
 * name it never had. (A real long name shaped like a short one, {@code a~1.txt}, takes the same
 * path when it disappears: correct, only costlier.)
 */
public final class ChangeTranslator {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeTranslator.class);
    private final Consumer<Change> out;
    private final Predicate<RelPath> isDirectory;
    private final UnaryOperator<String> longNames;
    private RelPath pendingOld;
    private boolean pendingOldDirectory;

    public ChangeTranslator(Consumer<Change> out, Predicate<RelPath> isDirectory) {
        this(out, isDirectory, name -> name);
    }

    /** {@code longNames}: the long form of a watch-relative name, null if it does not exist. */
    public ChangeTranslator(Consumer<Change> out, Predicate<RelPath> isDirectory, UnaryOperator<String> longNames) {
        this.out = out;
        this.isDirectory = isDirectory;
        this.longNames = longNames;
    }

    /** Translates one parsed buffer. */
    public void accept(Iterable<NotifyRecord> records) {
        for (NotifyRecord r : records) {
            accept(r);
        }
    }

    public void accept(NotifyRecord r) {
        String name = ShortNames.toLong(r.name(), longNames);
        if (name == null) {
            flush();
            RelPath dir = toRelPath(ShortNames.knownAncestor(r.name(), longNames));
            out.accept(Change.of(Change.Kind.OVERFLOW, dir == null ? RelPath.ROOT : dir, true));
            return;
        }
        RelPath path = toRelPath(name);
        if (path == null) {
            LOG.debug("notify record (action {}) with name '{}' is no share path: OVERFLOW", r.action(), name);
        }
        if (r.action() == NotifyBufferParser.FILE_ACTION_RENAMED_NEW_NAME && pendingOld != null) {
            RelPath old = pendingOld;
            boolean dir = r.extended() ? r.isDirectory() : pendingOldDirectory || directory(r, path);
            pendingOld = null;
            if (path == null) {
                overflow();
                return;
            }
            out.accept(new Change(Change.Kind.RENAMED, old, path, dir));
            return;
        }
        flush();
        if (path == null) {
            overflow();
            return;
        }
        switch (r.action()) {
            case NotifyBufferParser.FILE_ACTION_ADDED, NotifyBufferParser.FILE_ACTION_RENAMED_NEW_NAME ->
                    out.accept(Change.of(Change.Kind.CREATED, path, directory(r, path)));
            case NotifyBufferParser.FILE_ACTION_REMOVED ->
                    out.accept(Change.of(Change.Kind.DELETED, path, r.extended() && r.isDirectory()));
            case NotifyBufferParser.FILE_ACTION_MODIFIED -> {
                boolean dir = directory(r, path);
                out.accept(Change.of(dir ? Change.Kind.ATTRIB : Change.Kind.MODIFIED, path, dir));
            }
            case NotifyBufferParser.FILE_ACTION_RENAMED_OLD_NAME -> {
                pendingOld = path;
                // The old name is gone already; only extended records can tell what it was.
                pendingOldDirectory = r.extended() && r.isDirectory();
            }
            default -> overflow(); // unknown action: be safe
        }
    }

    /** Reports a held RENAMED_OLD_NAME whose NEW_NAME never came as DELETED. */
    public void flush() {
        if (pendingOld != null) {
            RelPath old = pendingOld;
            pendingOld = null;
            out.accept(Change.of(Change.Kind.DELETED, old, pendingOldDirectory));
        }
    }

    /** Events were lost: the client must rescan the share. */
    public void overflow() {
        pendingOld = null;
        out.accept(Change.of(Change.Kind.OVERFLOW, RelPath.ROOT, true));
    }

    /** What the watcher does after a completion. */
    public enum Outcome {
        /** Post the next read. */
        REARM,
        /** The handle may no longer watch the root (deleted, renamed, access lost): check it. */
        CHECK_ROOT,
        /** The read was cancelled (closing): stop. */
        STOP
    }

    /**
     * Handles one completed ReadDirectoryChanges(Ex)W: {@code win32Error} 0 for success.
     * Success with zero bytes and ERROR_NOTIFY_ENUM_DIR both mean the kernel dropped events:
     * overflow. A buffer that does not parse is treated the same way.
     */
    public Outcome completed(int win32Error, ByteBuffer buf, int bytes, boolean extended) {
        switch (win32Error) {
            case WinErrors.ERROR_SUCCESS -> {
                if (bytes == 0) {
                    overflow();
                    return Outcome.REARM;
                }
                List<NotifyRecord> records;
                try {
                    records = NotifyBufferParser.parse(buf, bytes, extended);
                } catch (IllegalArgumentException e) {
                    // why an OVERFLOW that is not the kernel's: what the buffer held
                    LOG.debug("unparsable notify buffer ({} bytes, extended {}): {}; starts {}", bytes, extended, e.getMessage(),
                            hex(buf, Math.min(bytes, 64)));
                    overflow();
                    return Outcome.REARM;
                }
                accept(records);
                return Outcome.REARM;
            }
            case WinErrors.ERROR_NOTIFY_ENUM_DIR -> {
                overflow();
                return Outcome.REARM;
            }
            case WinErrors.ERROR_OPERATION_ABORTED -> {
                flush();
                return Outcome.STOP;
            }
            default -> {
                // ERROR_ACCESS_DENIED is what a deleted watched root typically completes with;
                // anything else unexpected also warrants a look at the root. Events may be lost.
                flush();
                return Outcome.CHECK_ROOT;
            }
        }
    }

    private static String hex(ByteBuffer buf, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(String.format("%02x", buf.get(i)));
        }
        return sb.toString();
    }

    /** The watched root itself was deleted or renamed away: report it (the watcher then stops). */
    public void rootGone() {
        flush();
        out.accept(Change.of(Change.Kind.DELETED, RelPath.ROOT, true));
    }

    /** True while a RENAMED_OLD_NAME waits for its pair. */
    public boolean hasPending() {
        return pendingOld != null;
    }

    private boolean directory(NotifyRecord r, RelPath path) {
        return r.extended() ? r.isDirectory() : isDirectory.test(path);
    }

    /** "a\b\c" (on-disk, escaped) -> RelPath a/b/c (Linux names), or null if invalid. */
    static RelPath toRelPath(String windowsRelative) {
        if (windowsRelative.isEmpty()) {
            return null;
        }
        RelPath p = RelPath.ROOT;
        try {
            for (String part : windowsRelative.split("\\\\", -1)) {
                p = p.resolve(NameEscaping.fromWindows(part));
            }
        } catch (FsException e) {
            return null;
        }
        return p;
    }
}
