package dev.fsdriver.client;

import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.GetAttrRequest;
import dev.fsdriver.proto.v1.Node;

/**
 * What the kernel is told of a node: entries and attributes made from the server's answers,
 * with the mount's timeouts, and those answers kept in {@link KnownAttrs} when no write through
 * the mount may have overtaken them.
 *
 * <p>Stateless (the state is {@link KnownAttrs}' and {@link OpenFiles}').
 */
final class Entries {
    private final Connection connection;
    private final OpenFiles open;
    private final KnownAttrs attrs;
    private final long entryTimeoutNs;
    private final long attrTimeoutNs;

    Entries(Connection connection, OpenFiles open, KnownAttrs attrs, long entryTimeoutNs, long attrTimeoutNs) {
        this.connection = connection;
        this.open = open;
        this.attrs = attrs;
        this.entryTimeoutNs = entryTimeoutNs;
        this.attrTimeoutNs = attrTimeoutNs;
    }

    /** An entry for the kernel, with attributes that include this client's held-back writes. */
    FuseEntry entry(Node node) throws FuseException {
        Node n = node;
        OpenNode openNode = open.node(n.getId());
        if (openNode != null && openNode.anyDirty()) {
            // The server's size lags behind held-back writes: push them out and ask again.
            openNode.flushWriters(null);
            long id = n.getId();
            Attr attr = connection.call(f -> f.getAttr(GetAttrRequest.newBuilder().setNode(id).build()));
            n = n.toBuilder().setAttr(attr).build();
        }
        return entryNoCount(n);
    }

    /** An entry for the kernel as the server answered it (no held-back writes to account for). */
    FuseEntry entryNoCount(Node n) {
        attrs.entered(n.getId(), n.getAttr());
        return new FuseEntry(n.getId(), n.getGeneration(), Attrs.toFuse(n.getAttr()), entryTimeoutNs, attrTimeoutNs);
    }

    /** Attributes for the kernel, with the mount's attribute timeout. */
    FuseAttrReply attrReply(Attr attr) {
        return new FuseAttrReply(Attrs.toFuse(attr), attrTimeoutNs);
    }

    /**
     * Keeps attributes the server answered to a call sent at {@code epoch}, unless a write through
     * this mount went out since (its reply may have come first: then this answer is the older one).
     */
    void answered(long nodeId, Attr attr, long epoch, long generation) {
        if (open.generation(nodeId) == generation) {
            attrs.answered(nodeId, attr, epoch);
        }
    }
}
