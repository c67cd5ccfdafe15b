package dev.fsdriver.server;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.OpenFile;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.common.Errno;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.server.HandleTable.OpenedFile;
import java.util.List;

/**
 * SetAttr, in one place: the SetAttr call's and the change a Write makes after its data
 * (WriteRequest.then, through the write's handle), with the same checks.
 */
final class SetAttrHandler {
    private final boolean allowSetId;

    SetAttrHandler(boolean allowSetId) {
        this.allowSetId = allowSetId;
    }

    /** Changes what {@code req} asks, in the caller's share; the attributes after. */
    Attr setAttr(SetAttrRequest req) throws FsException {
        Requests.check(req);
        Share s = CallContext.share();
        SetAttributes changes = Messages.changes(req);
        if (changes.mutates()) {
            s.checkWritable("setattr");
        }
        OpenedFile fh = req.getHandle() == 0 ? null : s.handles.get(CallContext.owner(), req.getHandle(), OpenedFile.class);
        if (fh != null && fh.node() != req.getNode()) {
            throw new FsException(Errno.EINVAL, "setattr of node " + req.getNode() + " through handle "
                    + req.getHandle() + " of node " + fh.node());
        }
        RelPath path = s.nodes.pathOrNull(req.getNode());
        if (path == null && fh != null && changes.mode().isEmpty() && changes.uid().isEmpty()
                && changes.gid().isEmpty() && changes.atime() == null && changes.mtime() == null) {
            // ftruncate of an unlinked (or forgotten) open file: through the handle alone
            if (changes.size().isPresent()) {
                fh.file().truncate(changes.size().getAsLong());
            }
            return Messages.attr(fh.file().stat());
        }
        if (path == null) {
            path = s.nodes.path(req.getNode()); // throws the right errno
        }
        if (changes.mode().isPresent()) {
            if (!allowSetId) {
                // the handle's file where it reads its own attributes (fstat), as its chmod then goes
                SetIdRule.checkChmod(fh != null && fh.file().statsItself() ? fh.file().stat() : s.backend.stat(path),
                        changes.mode().getAsInt());
            }
        }
        RelPath p = path;
        OpenFile f = fh == null ? null : fh.file();
        boolean killsSetId = changes.mode().isEmpty() && (!req.hasKillSuidgid() || req.getKillSuidgid())
                && (changes.size().isPresent() || changes.uid().isPresent() || changes.gid().isPresent());
        // through a handle, the watcher reports a truncate under the name it was opened by
        List<RelPath> names = f == null ? List.of(p) : s.nodes.pathsOf(req.getNode());
        return Messages.attr(changes.mutates()
                ? s.change(names.isEmpty() ? List.of(p) : names, () -> {
                    FileAttributes a = s.backend.setattr(p, f, changes);
                    return killsSetId ? SetIdRule.drop(s, p, f, a) : a;
                })
                : s.backend.setattr(p, f, changes));
    }
}
