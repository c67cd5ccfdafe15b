package dev.fsdriver.backend.windows;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.windows.DirInfoParser.DirInfo;
import dev.fsdriver.backend.windows.win32.Structs;
import dev.fsdriver.common.FileMode;

/**
 * Windows file information to the POSIX {@link FileAttributes}: mtime from LastWriteTime, atime
 * from LastAccessTime, ctime from ChangeTime (not CreationTime), st_blocks in 512-byte units of
 * the allocation size, st_size of a directory 4096, of a link the length of its POSIX target.
 *
 * <p>The generation is the CreationTime as Windows gives it (FILETIME, 100 ns units; 0, "not
 * known", where a file system has none): fixed for the life of a file, since nothing here sets it
 * (setattr writes 0, "leave it"), though any program may (SetFileTime), which makes the file look
 * like another one to clients. Not an identity by itself: NTFS "file tunneling" gives a file
 * created within 15 s under the name of a deleted one that file's creation time, so the file id
 * (the node id) stays part of it. Where the CreationTime is not the file's own (Wine), 0.
 */
final class AttributeMapping {
    static final int BLKSIZE = 4096;
    private final ModeMapping modes;
    private final boolean generations;

    /** @param generations whether the CreationTime is the file's own, fixed one (the generation) */
    AttributeMapping(ModeMapping modes, boolean generations) {
        this.modes = modes;
        this.generations = generations;
    }

    /**
     * From what a handle tells (FILE_BASIC_INFO, FILE_STANDARD_INFO, the reparse tag or 0, the LX
     * metadata or NONE); {@code linkTargetLength} counts only for links.
     */
    FileAttributes fromHandle(long ino, Structs.BasicInfo basic, Structs.StandardInfo std, int reparseTag, LxEa.Metadata md,
            long linkTargetLength) {
        int mode = modes.mode(basic.attributes(), reparseTag, md);
        long size = FileMode.isSymlink(mode) ? linkTargetLength : FileMode.isDirectory(mode) ? BLKSIZE : std.endOfFile();
        return new FileAttributes(ino, mode, Math.max(1, std.numberOfLinks()), modes.uid(md), modes.gid(md), size,
                blocks(std.allocationSize()), FileTimes.toUnixNanos(basic.lastAccessTime()),
                FileTimes.toUnixNanos(basic.lastWriteTime()), FileTimes.toUnixNanos(basic.changeTime()), BLKSIZE, 0,
                generation(basic.creationTime()));
    }

    /**
     * From a directory-listing record alone (no open). nlink is not in listings: 1, which for
     * directories tells find(1) "unknown"; stat gives the real count.
     */
    FileAttributes fromDirInfo(long ino, DirInfo d) {
        int mode = modes.mode(d.attributes(), d.reparseTag(), LxEa.Metadata.NONE);
        long size = FileMode.isDirectory(mode) ? BLKSIZE : d.endOfFile();
        return new FileAttributes(ino, mode, 1, modes.uid(LxEa.Metadata.NONE), modes.gid(LxEa.Metadata.NONE), size,
                blocks(d.allocationSize()), FileTimes.toUnixNanos(d.lastAccessTime()), FileTimes.toUnixNanos(d.lastWriteTime()),
                FileTimes.toUnixNanos(d.changeTime()), BLKSIZE, 0, generation(d.creationTime()));
    }

    /** Whether a listing record needs an open for the right answer: links (size) and, with metadata, files with EAs. */
    static boolean needsOpen(DirInfo d, boolean metadata) {
        return (d.isReparsePoint() && WinAttributes.isLinkTag(d.reparseTag())) || (metadata && d.eaSize() > 0);
    }

    private long generation(long creationTime) {
        return generations ? creationTime : 0;
    }

    static long blocks(long allocationSize) {
        return (allocationSize + 511) / 512;
    }
}
