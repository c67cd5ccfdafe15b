package dev.fsdriver.fuse;

import static dev.fsdriver.fuse.Wire.put32;
import static dev.fsdriver.fuse.Wire.put64;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.kernel.FuseKernel;
import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends answers to the kernel: at once, from the buffer the request came in ({@link #now}), or
 * later, through a {@link FuseFileSystem.Reply} the file
 * system completes on any thread ({@link #later}), from a per-thread buffer; a request answered
 * later leaves the in-flight map once answered. A reply the kernel no longer wants (interrupted,
 * unmounted) is dropped quietly.
 *
 * <p>No lock: each answer is one write(2) on the device fd.
 */
final class Replies {
    private static final Logger log = LoggerFactory.getLogger(Replies.class);
    private static final int OUT = FuseKernel.OUT_HEADER_SIZE;

    private final int bufferSize;
    private final boolean debug;
    private final Map<Long, KernelRequest> inFlight;

    /** {@code bufferSize}: where a request buffer's errno area starts; {@code inFlight}: the dispatcher's requests. */
    Replies(int bufferSize, boolean debug, Map<Long, KernelRequest> inFlight) {
        this.bufferSize = bufferSize;
        this.debug = debug;
        this.inFlight = inFlight;
    }

    /** The reply of a request answered later without a value: a header with the errno, sent once. */
    FuseFileSystem.Reply<Void> later(KernelRequest req) {
        return later(req, (out, none) -> 0);
    }

    /** Writes an answer's payload at {@link #OUT}; returns its length. */
    @FunctionalInterface
    interface Encoder<T> {
        int encode(MemorySegment out, T value) throws FuseException;
    }

    /** Room for the answers given later (attributes, entries), and the errno area after it. */
    private static final int LATER_PAYLOAD = 512;
    private static final ThreadLocal<MemorySegment> LATER_BUFFER = ThreadLocal.withInitial(
            () -> java.lang.foreign.Arena.ofAuto().allocate(OUT + LATER_PAYLOAD + FileCalls.captureStateSize(), 8));

    /** The reply of a request answered later with a value, encoded by {@code encoder}. */
    <T> FuseFileSystem.Reply<T> later(KernelRequest req, Encoder<T> encoder) {
        return new FuseFileSystem.Reply<>() {
            @Override
            public void done(T value) {
                MemorySegment b = LATER_BUFFER.get();
                try {
                    int len;
                    try {
                        len = encoder.encode(b, value);
                    } catch (FuseException e) {
                        failed(e.errno());
                        return;
                    } catch (RuntimeException e) {
                        log.error("File system answered {} with {}", req, value, e);
                        failed(Errno.EIO);
                        return;
                    }
                    reply(req.fd, b, req.unique, 0, len, b.asSlice(OUT + LATER_PAYLOAD));
                } finally {
                    inFlight.remove(req.unique);
                }
            }

            @Override
            public void failed(int errno) {
                MemorySegment b = LATER_BUFFER.get();
                try {
                    reply(req.fd, b, req.unique, -Math.abs(errno), 0, b.asSlice(OUT + LATER_PAYLOAD));
                } finally {
                    inFlight.remove(req.unique);
                }
            }
        };
    }

    /** Answers with {@code errno} alone, from the request's own buffer. */
    void error(int fd, MemorySegment buf, long unique, int errno) {
        now(fd, buf, unique, -errno, 0);
    }

    /** Writes fuse_out_header { len, error, unique } and the payload already at offset 16. */
    void now(int fd, MemorySegment buf, long unique, int error, int payload) {
        // errno lands in the buffer's tail, past the largest reply: no per-thread capture area
        reply(fd, buf, unique, error, payload, buf.asSlice(bufferSize));
    }

    private void reply(int fd, MemorySegment buf, long unique, int error, int payload, MemorySegment errnoArea) {
        int len = OUT + payload;
        put32(buf, 0, len);
        put32(buf, 4, error);
        put64(buf, 8, unique);
        if (debug) {
            log.debug("<- #{} error={} len={}", unique, error, len);
        }
        try {
            FileCalls.write(fd, buf, len, errnoArea);
        } catch (ErrnoException e) {
            // ENOENT: the request was interrupted and is gone; ENODEV: unmounted meanwhile.
            if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENODEV) {
                log.warn("Reply to FUSE request {} failed: {}", unique, e.getMessage());
            }
        }
    }
}
