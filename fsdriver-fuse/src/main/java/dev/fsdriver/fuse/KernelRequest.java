package dev.fsdriver.fuse;

import dev.fsdriver.fuse.kernel.FuseOpcode;

/**
 * One request as read from /dev/fuse: its header, handed to the file system, the fd its answer
 * goes back to, and whether the kernel interrupted it. Immutable but for those two.
 */
final class KernelRequest implements FuseRequest {
    final long unique;
    final int opcode;
    final long nodeId;
    final int uid;
    final int gid;
    final int pid;
    /** The device fd the request came from: its answer goes back there. */
    int fd = -1;
    volatile boolean interrupted;
    /** Run by the request's thread right after its answer went to the kernel, or null. */
    Runnable afterReply;

    KernelRequest(long unique, int opcode, long nodeId, int uid, int gid, int pid) {
        this.unique = unique;
        this.opcode = opcode;
        this.nodeId = nodeId;
        this.uid = uid;
        this.gid = gid;
        this.pid = pid;
    }

    @Override public long unique() { return unique; }
    @Override public int opcode() { return opcode; }
    @Override public long nodeId() { return nodeId; }
    @Override public int uid() { return uid; }
    @Override public int gid() { return gid; }
    @Override public int pid() { return pid; }
    @Override public boolean isInterrupted() { return interrupted; }

    @Override
    public String toString() {
        return FuseOpcode.name(opcode) + "#" + unique + " node=" + nodeId + " pid=" + pid;
    }
}
