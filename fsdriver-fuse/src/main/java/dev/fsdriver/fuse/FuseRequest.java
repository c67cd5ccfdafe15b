package dev.fsdriver.fuse;

/**
 * The header of the kernel request being served: who asked, and whether the kernel has since
 * interrupted it. Valid only during the file-system call it was passed to.
 */
public interface FuseRequest {
    /** The kernel's unique id of this request. */
    long unique();

    /** The opcode (fuse_opcode), for logs. */
    int opcode();

    /** The node the request is about (fuse_in_header.nodeid). */
    long nodeId();

    /** Caller's uid, gid and pid (thread group id) as the kernel saw them. */
    int uid();

    int gid();

    int pid();

    /** True once the kernel sent FUSE_INTERRUPT for this request; the answer may then be EINTR. */
    boolean isInterrupted();
}
