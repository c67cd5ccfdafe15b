package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.windows.win32.WindowsException;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the share's volume can do, from GetVolumeInformationByHandleW's flags at open, refined at
 * run time: the first call that fails with an "unsupported" error switches its feature to the
 * fallback for the life of the backend and logs that once (FAT, ReFS, SMB and Wine each fail
 * differently, so the decision is made by error, never by OS version). Thread-safe.
 */
public final class VolumeFeatures {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeFeatures.class);

    // GetVolumeInformation file system flags (winnt.h).
    public static final int FILE_CASE_SENSITIVE_SEARCH = 0x1;
    public static final int FILE_CASE_PRESERVED_NAMES = 0x2;
    public static final int FILE_PERSISTENT_ACLS = 0x8;
    public static final int FILE_SUPPORTS_REPARSE_POINTS = 0x80;
    public static final int FILE_SUPPORTS_POSIX_UNLINK_RENAME = 0x400;
    public static final int FILE_SUPPORTS_OBJECT_IDS = 0x10000;
    public static final int FILE_READ_ONLY_VOLUME = 0x80000;
    public static final int FILE_SUPPORTS_HARD_LINKS = 0x400000;
    public static final int FILE_SUPPORTS_EXTENDED_ATTRIBUTES = 0x800000;
    public static final int FILE_SUPPORTS_OPEN_BY_FILE_ID = 0x1000000;
    /** GetDriveTypeW: a network drive. */
    public static final int DRIVE_REMOTE = 4;

    /** Features with a fallback. */
    public enum Feature {
        POSIX_RENAME("FileRenameInfoEx (POSIX rename)", "FileRenameInfo: renaming over a file that is open elsewhere fails EBUSY/EACCES"),
        POSIX_DELETE("FileDispositionInfoEx (POSIX delete)", "FileDispositionInfo: the name stays until the last handle closes"),
        EXTD_DIR_INFO("FileIdExtdDirectoryInfo listing", "FileIdBothDirectoryInfo (64-bit file ids)"),
        ID_BOTH_DIR_INFO("FileIdBothDirectoryInfo listing", "a java.nio listing with one stat per entry"),
        FILE_ID_INFO("FileIdInfo (128-bit ids)", "paths as inode keys until restart"),
        EXTENDED_ATTRIBUTES("extended attributes ($LXUID/$LXGID/$LXMOD)", "no WSL metadata: modes from attributes"),
        NOTIFY_EXTENDED("ReadDirectoryChangesExW (extended notify records)", "ReadDirectoryChangesW (names only)"),
        CASE_SENSITIVE_DIRS("per-directory case sensitivity", "case-insensitive directories"),
        CREATION_TIME("CreationTime as the file's generation", "generation 0 (unknown): the file id alone names a file");

        final String what;
        final String fallback;

        Feature(String what, String fallback) {
            this.what = what;
            this.fallback = fallback;
        }
    }

    private final String fileSystem;
    private final int flags;
    private final long serial;
    private final int maxComponentLength;
    /** The volume is reached over the network (a UNC root, a mapped network drive). */
    private final boolean remote;
    private final Map<Feature, String> missing = new ConcurrentHashMap<>(); // feature -> why it fell back

    /** A local volume's features (tests). */
    public VolumeFeatures(String fileSystem, int flags, long serial, int maxComponentLength) {
        this(fileSystem, flags, serial, maxComponentLength, false);
    }

    /** {@code remote}: the volume is reached over the network (see {@link #remoteRoot}). */
    public VolumeFeatures(String fileSystem, int flags, long serial, int maxComponentLength, boolean remote) {
        this.remote = remote;
        this.fileSystem = fileSystem;
        this.flags = flags;
        this.serial = serial;
        this.maxComponentLength = maxComponentLength;
        // POSIX rename/delete are decided by the first call's error, not by the volume flag
        // (FILE_SUPPORTS_POSIX_UNLINK_RENAME is not reported by every build that supports them).
        EnumSet<Feature> off = EnumSet.noneOf(Feature.class);
        if ((flags & FILE_SUPPORTS_EXTENDED_ATTRIBUTES) == 0) {
            off.add(Feature.EXTENDED_ATTRIBUTES);
        }
        for (Feature f : off) {
            fallBack(f, "volume flags 0x" + Integer.toHexString(flags));
        }
    }

    public boolean has(Feature f) {
        return !missing.containsKey(f);
    }

    /** Switches {@code f} to its fallback; logs the first time only. Returns false if it was already off. */
    public boolean fallBack(Feature f, String why) {
        boolean first = missing.putIfAbsent(f, why == null ? "" : why) == null;
        if (first) {
            LOG.info("{} volume {}: {} not available ({}); using {}", fileSystem, Long.toHexString(serial), f.what, why, f.fallback);
        }
        return first;
    }

    /** The features switched to their fallback so far, each with the error or flags that did it. */
    public Map<Feature, String> missing() {
        Map<Feature, String> copy = new EnumMap<>(Feature.class);
        copy.putAll(missing);
        return copy;
    }

    public String fileSystem() {
        return fileSystem;
    }

    /** See {@link #directoryTimesMove(String, boolean)}: this volume's answer. */
    public boolean directoryTimesMove() {
        return directoryTimesMove(fileSystem, remote);
    }

    /** A volume serial number read without FileIdInfo (GetVolumeInformationByHandleW on a handle). */
    @FunctionalInterface
    public interface SerialQuery {
        long serial() throws WindowsException;
    }

    /**
     * Whether one directory's times move ({@link dev.fsdriver.backend.FileAttributes#timesMove}):
     * this volume's do ({@link #directoryTimesMove()}) and the directory is on the share root's
     * volume, by serial number (another volume mounted in a folder below the root may be FAT or
     * remote): its FileIdInfo's, {@code id} (an {@link InodeNumbers.IdOnce} its inode number
     * already asked answers without a second query), or without FileIdInfo {@code volume}'s. No
     * answer is "no".
     */
    public boolean timesMove(InodeNumbers.IdQuery id, SerialQuery volume) {
        if (!directoryTimesMove()) {
            return false;
        }
        try {
            return (has(Feature.FILE_ID_INFO) ? id.query().volumeSerial() : volume.serial()) == serial;
        } catch (WindowsException e) {
            return false;
        }
    }

    /**
     * Whether a volume's file system moves a directory's LastWriteTime and ChangeTime with every
     * name made, removed or moved in it: a local NTFS or ReFS volume (from Microsoft's
     * documentation; FAT and exFAT keep a directory's times). Never a remote one: an SMB server
     * reports "NTFS" whatever it serves (Windows and Samba alike), and the times then depend on
     * the file system behind it.
     */
    static boolean directoryTimesMove(String fileSystem, boolean remote) {
        return !remote && ("NTFS".equalsIgnoreCase(fileSystem) || "ReFS".equalsIgnoreCase(fileSystem));
    }

    /**
     * Whether share root {@code path} (as given, or as GetFinalPathNameByHandleW gives it) is a
     * network path: UNC ({@code \\server\share}, {@code \\?\UNC\...}); a mapped network drive is
     * told by its drive type ({@link #driveRoot}).
     */
    static boolean remoteRoot(String path) {
        if (path.regionMatches(true, 0, "\\\\?\\UNC\\", 0, 8)) {
            return true;
        }
        return path.startsWith("\\\\") && !path.startsWith("\\\\?\\") && !path.startsWith("\\\\.\\");
    }

    /**
     * The root GetDriveTypeW takes for {@code path} ({@code C:\}, or {@code \\?\Volume{...}\}),
     * null where there is none to ask (UNC, or a form not known here).
     */
    static String driveRoot(String path) {
        String p = path.startsWith("\\\\?\\") ? path.substring(4) : path;
        if (p.length() >= 2 && p.charAt(1) == ':' && Character.isLetter(p.charAt(0))) {
            return p.substring(0, 2) + "\\";
        }
        if (p.regionMatches(true, 0, "Volume{", 0, 7)) {
            int end = p.indexOf('}');
            return end < 0 ? null : "\\\\?\\" + p.substring(0, end + 1) + "\\";
        }
        return null;
    }

    /**
     * Whether the share is reached over the network: {@code root} (as given) or {@code rootFinal}
     * (GetFinalPathNameByHandleW, links followed) is UNC, or the drive of either is
     * {@link #DRIVE_REMOTE} by {@code driveType} (GetDriveTypeW: a mapped network drive). A
     * path whose drive cannot be told counts as remote: its directory times are not trusted.
     */
    static boolean remote(String root, String rootFinal, ToIntFunction<String> driveType) {
        for (String p : new String[] {root, rootFinal}) {
            if (p == null) {
                continue;
            }
            String drive = driveRoot(p);
            if (remoteRoot(p) || drive == null || driveType.applyAsInt(drive) == DRIVE_REMOTE) {
                return true;
            }
        }
        return false;
    }

    public int flags() {
        return flags;
    }

    public long serial() {
        return serial;
    }

    public int maxComponentLength() {
        return maxComponentLength;
    }

    public boolean readOnlyVolume() {
        return (flags & FILE_READ_ONLY_VOLUME) != 0;
    }

}
