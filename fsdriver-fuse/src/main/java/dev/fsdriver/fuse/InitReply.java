package dev.fsdriver.fuse;

import static dev.fsdriver.fuse.Wire.put16;
import static dev.fsdriver.fuse.Wire.put32;

import dev.fsdriver.fuse.kernel.FuseKernel;
import java.lang.foreign.MemorySegment;

/** The answer to FUSE_INIT (fuse_init_out): what the session asks of the kernel, see {@link FuseSession}. */
final class InitReply {
    /** What the kernel and the session agreed on. */
    record Negotiated(long granted, int maxWrite, int maxReadahead, int maxPages) {}

    private InitReply() {
    }

    /**
     * Writes fuse_init_out into {@code out} for a kernel offering {@code kernelFlags} and
     * {@code kernelReadahead}; {@code bufferSize}: each reader's request buffer.
     */
    static Negotiated write(MemorySegment out, long kernelFlags, int kernelReadahead, int negotiatedMinor,
                            MountOptions options, int bufferSize) {
        long want = FuseKernel.ASYNC_READ | FuseKernel.BIG_WRITES | FuseKernel.MAX_PAGES
                | FuseKernel.DO_READDIRPLUS | (options.readdirplusAlways() ? 0 : FuseKernel.READDIRPLUS_AUTO)
                | FuseKernel.PARALLEL_DIROPS
                | FuseKernel.ATOMIC_O_TRUNC | FuseKernel.EXPORT_SUPPORT | FuseKernel.ASYNC_DIO
                | FuseKernel.INIT_EXT
                | FuseKernel.NO_OPENDIR_SUPPORT // the kernel's offer, echoed: granted says whether it has it
                | (options.writebackCache() ? FuseKernel.WRITEBACK_CACHE : 0)
                | (options.handleKillpriv() ? FuseKernel.HANDLE_KILLPRIV | FuseKernel.HANDLE_KILLPRIV_V2 : 0);
        long granted = want & kernelFlags;
        int maxWrite = bufferSize - 4096;
        int maxPages = Math.min(256, Math.max(1, maxWrite / 4096));
        int maxReadahead = Math.min(Math.max(0, options.maxReadahead()), kernelReadahead);
        int maxBackground = Math.clamp(options.maxBackground(), 1, 0xFFFF);
        // fuse_init_out { major, minor, max_readahead, flags, max_background:16, congestion_threshold:16,
        //   max_write, time_gran, max_pages:16, map_alignment:16, flags2, max_stack_depth, ... }
        put32(out, 0, FuseKernel.KERNEL_VERSION);
        put32(out, 4, negotiatedMinor);
        put32(out, 8, maxReadahead);
        put32(out, 12, (int) granted);
        put16(out, 16, maxBackground);
        put16(out, 18, Math.max(1, maxBackground * 3 / 4));
        put32(out, 20, maxWrite);
        put32(out, 24, 1);
        put16(out, 28, maxPages);
        put16(out, 30, 0);
        put32(out, 32, (int) (granted >>> 32));
        return new Negotiated(granted, maxWrite, maxReadahead, maxPages);
    }
}
