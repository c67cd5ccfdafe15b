package dev.fsdriver.server;

import com.google.protobuf.ByteString;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.common.Errno;
import dev.fsdriver.common.Xattrs;
import dev.fsdriver.proto.v1.Empty;
import dev.fsdriver.proto.v1.NodeRequest;
import dev.fsdriver.proto.v1.SetXattrRequest;
import dev.fsdriver.proto.v1.XattrNames;
import dev.fsdriver.proto.v1.XattrRequest;
import dev.fsdriver.proto.v1.XattrValue;

/**
 * The bodies of Files.GetXattr/ListXattr/SetXattr/RemoveXattr, in the order Linux checks a call:
 * the flags (EINVAL), the name (ERANGE, EINVAL) and the value's size (E2BIG) first, then a read-only share (EROFS),
 * then the namespace ({@link Xattrs}: only user.* reaches the backend), then the file.
 * A set or remove is the session's change of the file (its ctime): other mounts hear ATTRIB.
 */
final class XattrHandlers {
    private XattrHandlers() {}

    static XattrValue get(XattrRequest req) throws FsException {
        name(req.getName());
        Share s = CallContext.share();
        RelPath path = s.nodes.path(req.getNode());
        if (!Xattrs.kept(req.getName())) {
            throw new FsException(Xattrs.absentError(req.getName()), "getxattr '" + path + "' " + req.getName());
        }
        return XattrValue.newBuilder().setValue(ByteString.copyFrom(s.backend.getxattr(path, req.getName()))).build();
    }

    static XattrNames list(NodeRequest req) throws FsException {
        Share s = CallContext.share();
        return XattrNames.newBuilder().addAllNames(s.backend.listxattr(s.nodes.path(req.getNode()))).build();
    }

    static Empty set(SetXattrRequest req) throws FsException {
        // Linux's order (setxattr_copy): flags, then the name, then the value's size
        if (Xattrs.flagsError(req.getFlags()) != 0) {
            throw new FsException(Xattrs.flagsError(req.getFlags()), "setxattr flags " + Integer.toUnsignedString(req.getFlags()));
        }
        name(req.getName());
        if (req.getValue().size() > Xattrs.SIZE_MAX_BYTES) {
            throw new FsException(Errno.E2BIG, "setxattr " + req.getName() + ": " + req.getValue().size() + " bytes");
        }
        Share s = CallContext.share();
        s.checkWritable("setxattr");
        RelPath path = s.nodes.path(req.getNode());
        if (!Xattrs.kept(req.getName())) {
            throw new FsException(Xattrs.setError(req.getName()), "setxattr '" + path + "' " + req.getName());
        }
        byte[] value = req.getValue().toByteArray();
        s.change(path, () -> {
            s.backend.setxattr(path, req.getName(), value, req.getFlags());
            return s.backend.stat(path);
        });
        return Empty.getDefaultInstance();
    }

    static Empty remove(XattrRequest req) throws FsException {
        name(req.getName());
        Share s = CallContext.share();
        s.checkWritable("removexattr");
        RelPath path = s.nodes.path(req.getNode());
        if (!Xattrs.kept(req.getName())) {
            throw new FsException(Xattrs.absentError(req.getName()), "removexattr '" + path + "' " + req.getName());
        }
        s.change(path, () -> {
            s.backend.removexattr(path, req.getName());
            return s.backend.stat(path);
        });
        return Empty.getDefaultInstance();
    }

    private static void name(String name) throws FsException {
        int e = Xattrs.nameError(name);
        if (e == 0 && name.indexOf('\0') >= 0) {
            e = Errno.EINVAL;
        }
        if (e != 0) {
            throw new FsException(e, "xattr name of " + name.length() + " chars");
        }
    }
}
