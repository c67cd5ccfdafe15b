package dev.fsdriver.fuse;

/** fuse_attr_out: attributes and how long the kernel may cache them. */
public record FuseAttrReply(FuseAttr attr, long attrTimeoutNs) {
}
