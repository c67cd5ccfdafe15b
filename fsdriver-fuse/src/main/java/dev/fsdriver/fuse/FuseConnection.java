package dev.fsdriver.fuse;

/**
 * What was negotiated with the kernel at FUSE_INIT, and the way to send it notifications.
 *
 * @param kernelMajor   the kernel's protocol major version (7)
 * @param kernelMinor   the kernel's protocol minor version (45 on 6.18)
 * @param negotiatedMinor the minor version both sides speak
 * @param flags         the FUSE_* init flags in force (64-bit: flags | flags2 << 32)
 * @param maxWrite      the largest WRITE payload the kernel will send
 * @param maxReadahead  the kernel's read-ahead window
 * @param maxPages      the largest number of pages per request
 * @param notifier      notifications to the kernel (see {@link FuseNotifier} for the lock rule)
 */
public record FuseConnection(
        int kernelMajor,
        int kernelMinor,
        int negotiatedMinor,
        long flags,
        int maxWrite,
        int maxReadahead,
        int maxPages,
        FuseNotifier notifier) {
}
