package dev.fsdriver.client;

import com.google.protobuf.ByteString;
import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.client.cache.RemoteCaches;
import dev.fsdriver.common.Xattrs;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.NodeRequest;
import dev.fsdriver.proto.v1.SetXattrRequest;
import dev.fsdriver.proto.v1.XattrRequest;
import java.util.List;

/**
 * Extended attributes: never cached here (the kernel keeps none for FUSE either), so a change
 * made by anyone is read at once. Names no share keeps are answered without a call, as the
 * server would ({@link Xattrs}): the kernel asks security.capability before writes. A change
 * moves the file's ctime: its kept attributes go before and after.
 *
 * <p>No state of its own.
 */
final class XattrCalls {
    private final Connection connection;
    private final RemoteCaches caches;
    private final KnownAttrs attrs;

    XattrCalls(Connection connection, RemoteCaches caches) {
        this.connection = connection;
        this.caches = caches;
        this.attrs = caches.attrs();
    }

    byte[] get(long nodeId, String name) throws FuseException {
        if (!Xattrs.kept(name)) {
            throw new FuseException(Xattrs.absentError(name));
        }
        return connection.call(f -> f.getXattr(XattrRequest.newBuilder().setNode(nodeId).setName(name).build())
                .getValue().toByteArray());
    }

    List<String> list(long nodeId) throws FuseException {
        return connection.call(f -> f.listXattr(NodeRequest.newBuilder().setNode(nodeId).build()).getNamesList());
    }

    void set(long nodeId, String name, byte[] value, int flags) throws FuseException {
        if (!Xattrs.kept(name)) {
            throw new FuseException(Xattrs.setError(name));
        }
        caches.changing(nodeId);
        attrs.drop(nodeId);
        try {
            connection.call(f -> f.setXattr(SetXattrRequest.newBuilder().setNode(nodeId).setName(name)
                    .setValue(ByteString.copyFrom(value)).setFlags(flags).build()));
        } finally {
            attrs.drop(nodeId);
        }
    }

    void remove(long nodeId, String name) throws FuseException {
        if (!Xattrs.kept(name)) {
            throw new FuseException(Xattrs.absentError(name));
        }
        caches.changing(nodeId);
        attrs.drop(nodeId);
        try {
            connection.call(f -> f.removeXattr(XattrRequest.newBuilder().setNode(nodeId).setName(name).build()));
        } finally {
            attrs.drop(nodeId);
        }
    }
}
