package dev.fsdriver.backend.windows;

import com.sun.jna.Memory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Per-thread native buffers, so that no request allocates big native memory: server request
 * threads are few and long-lived. Regions of {@link #small}: 0 basic info, 64 standard info,
 * 128 id info, 192 attribute-tag info, 256 struct to set, 512 EA get-list, 1024.. EA data.
 */
final class Scratch {
    static final int BASIC = 0;
    static final int STANDARD = 64;
    static final int ID = 128;
    static final int TAG = 192;
    static final int SET = 256;
    static final int EA_LIST = 512;
    static final int EA_DATA = 1024;
    static final int SMALL_SIZE = 4096;
    static final int LIST_SIZE = 64 * 1024; // larger buffers fail on SMB (research section 1)
    static final int IO_SIZE = 1024 * 1024;

    private static final ThreadLocal<Scratch> CURRENT = ThreadLocal.withInitial(Scratch::new);

    final Memory small = new Memory(SMALL_SIZE);
    final Memory path = new Memory(2 * 32_768);
    private Memory list;
    private Memory reparse;
    private Memory io;

    static Scratch get() {
        return CURRENT.get();
    }

    ByteBuffer smallBuffer(int offset, int size) {
        return small.getByteBuffer(offset, size).order(ByteOrder.LITTLE_ENDIAN);
    }

    Memory list() {
        if (list == null) {
            list = new Memory(LIST_SIZE);
        }
        return list;
    }

    Memory reparse() {
        if (reparse == null) {
            reparse = new Memory(ReparseData.MAX_SIZE);
        }
        return reparse;
    }

    Memory io() {
        if (io == null) {
            io = new Memory(IO_SIZE);
        }
        return io;
    }
}
