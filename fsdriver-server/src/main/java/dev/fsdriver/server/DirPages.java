package dev.fsdriver.server;

import dev.fsdriver.backend.DirEntry;
import dev.fsdriver.backend.DirNames;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.PageAttributes;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * ReadDir. A listing is made once per pass ({@link DirSnapshots}), names only where the backend
 * pays a call per name for attributes ({@code Backend#listNames}), and each page's attributes are
 * read when that page is asked for (issue 16: the first page of a 100,000-entry directory no
 * longer waits for 100,000 stats).
 *
 * <p>Identity: a listing is of the node's directory, and every page's attributes come from the
 * directory its names came from (inode number and generation, as {@link Share#statNode}); ESTALE
 * otherwise: the directory was renamed or replaced behind the server's back, between two pages
 * or before the listing, the change not followed yet, or removed. Never another directory's
 * files as this one's. Removed is ESTALE too, not getdents' ENOENT of a removed directory held
 * open: nothing is held between pages, and by its path the server cannot tell a removed
 * directory from one renamed away (nor, with Backend's default attributes, from one replaced).
 * A rename the server's watcher follows while a page is read is retried at the new path. A name
 * gone before its page is read is left out, as one gone before the listing: a listing race, not
 * an error.
 */
final class DirPages {
    private DirPages() {
    }

    static ReadDirReply readDir(Share s, ReadDirRequest req) throws FsException {
        long node = req.getNode();
        RelPath dir = s.nodes.path(node);
        DirSnapshots.Snapshot snap = null;
        int pos = 0;
        if (req.getCursor() != 0) {
            snap = s.dirs.find(node, req.getCursor());
            pos = DirSnapshots.position(req.getCursor());
            if (pos < 0) {
                throw new FsException(Errno.EINVAL, "bad cursor " + req.getCursor());
            }
        }
        if (snap == null) {
            snap = list(s, node, dir);
        }
        List<DirEntry> entries = snap.entries();
        int max = Requests.pageSize(req);
        int end = (int) Math.min((long) pos + max, entries.size());
        ReadDirReply.Builder reply = ReadDirReply.newBuilder().setEventSequence(snap.eventSequence());
        // a page all of whose names are gone goes on to the next: an empty page ends a listing
        while (true) {
            addPage(s, dir, snap, pos, end, req.getPlus(), reply);
            if (reply.getEntriesCount() > 0 || end >= entries.size()) {
                break;
            }
            pos = end;
            end = (int) Math.min((long) pos + max, entries.size());
        }
        if (end >= entries.size()) {
            s.dirs.done(snap);
        }
        return reply.setEof(end >= entries.size()).build();
    }

    /** A new listing of node {@code node}, at {@code dir}: ESTALE when the backend read another directory there. */
    private static DirSnapshots.Snapshot list(Share s, long node, RelPath dir) throws FsException {
        long sequence = s.eventSequence.getAsLong(); // before: every event up to it is in the listing
        DirNames listed = s.backend.listNames(dir);
        FileAttributes d = listed.dir();
        if (d != null && !s.nodes.isFile(node, d.ino(), d.generation())) {
            throw new FsException(Errno.ESTALE, "node " + node + ": '" + dir + "' is another directory now");
        }
        List<DirEntry> list = new ArrayList<>(listed.entries());
        list.sort(Comparator.comparing(DirEntry::name));
        return s.dirs.add(node, List.copyOf(list), sequence, d);
    }

    /** Entries {@code from} to {@code to} of the listing, with their attributes read now where it has none. */
    private static void addPage(Share s, RelPath dir, DirSnapshots.Snapshot snap, int from, int to, boolean plus,
                                ReadDirReply.Builder reply) throws FsException {
        List<DirEntry> entries = snap.entries();
        List<String> unread = new ArrayList<>();
        for (int i = from; i < to; i++) {
            if (entries.get(i).attributes() == null) {
                unread.add(entries.get(i).name());
            }
        }
        Page page = unread.isEmpty() ? new Page(dir, List.of()) : attributes(s, dir, snap, unread);
        int next = 0;
        for (int i = from; i < to; i++) {
            DirEntry e = entries.get(i);
            FileAttributes a = e.attributes() != null ? e.attributes() : page.entries().get(next++);
            if (a == null) {
                continue; // gone since the listing was made
            }
            // the proto's DirEntry, named in full: the backend's has the same simple name
            dev.fsdriver.proto.v1.DirEntry.Builder d = dev.fsdriver.proto.v1.DirEntry.newBuilder()
                    .setName(e.name())
                    .setType(a.mode() & FileMode.S_IFMT)
                    .setIno(a.ino())
                    .setCursor(DirSnapshots.cursor(snap.id(), i + 1));
            if (plus) {
                d.setNode(FilesService.entry(s, page.dir().resolve(e.name()), a));
            }
            reply.addEntries(d);
        }
    }

    /** A page's attributes, and the path of the directory they were read in. */
    private record Page(RelPath dir, List<FileAttributes> entries) {}

    /**
     * The attributes of {@code names}, read in the directory the listing's names came from. On
     * ESTALE the node's path is read again: the server's watcher may have followed a rename of
     * the directory since this request read it, the listing being intact; one retry at the new
     * path, which the identity check guards as the first try.
     */
    private static Page attributes(Share s, RelPath dir, DirSnapshots.Snapshot snap, List<String> names)
            throws FsException {
        try {
            return new Page(dir, attributesAt(s, dir, snap, names));
        } catch (FsException e) {
            if (e.errno() != Errno.ESTALE) {
                throw e;
            }
            RelPath now;
            try {
                now = s.nodes.path(snap.node());
            } catch (FsException gone) {
                throw e;
            }
            if (now.equals(dir)) {
                throw e;
            }
            return new Page(now, attributesAt(s, now, snap, names));
        }
    }

    /**
     * The attributes of {@code names} read at {@code dir}: ESTALE when it is another directory
     * now, or none (removed, or renamed away and not followed yet: by its path the server cannot
     * tell the two apart, nor a removed directory from one replaced, so NFS's answer for a
     * handle whose file is not there).
     */
    private static List<FileAttributes> attributesAt(Share s, RelPath dir, DirSnapshots.Snapshot snap,
                                                     List<String> names) throws FsException {
        PageAttributes read;
        try {
            read = s.backend.attributes(dir, names);
        } catch (FsException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR || e.errno() == Errno.ELOOP) {
                throw new FsException(Errno.ESTALE, "'" + dir + "' listed in node " + snap.node()
                        + " is no directory now: " + e.getMessage());
            }
            throw e;
        }
        FileAttributes listed = snap.dir(); // not null: names without attributes come with it (DirNames)
        if (!read.dir().sameFile(listed)) {
            throw new FsException(Errno.ESTALE, "'" + dir + "' listed in node " + snap.node()
                    + " is another directory now");
        }
        return read.entries();
    }
}
