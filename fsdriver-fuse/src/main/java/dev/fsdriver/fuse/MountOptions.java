package dev.fsdriver.fuse;

/**
 * How to mount. Build with {@link #builder()}.
 *
 * @param fsName          shown as the source in /proc/mounts (e.g. "fsdriver:share")
 * @param subtype         shown as fuse.SUBTYPE in /proc/mounts
 * @param allowOther      let users other than the mounting one use the mount
 * @param defaultPermissions let the kernel check permissions from the attributes
 * @param readOnly        mount read-only (MS_RDONLY)
 * @param writebackCache  negotiate FUSE_WRITEBACK_CACHE (the kernel coalesces writes)
 * @param handleKillpriv  negotiate FUSE_HANDLE_KILLPRIV: the file system clears set-user-ID and
 *                        set-group-ID bits itself on write, truncate and chown, so the kernel
 *                        neither asks for the attributes first (a GETATTR before every chown)
 *                        nor sends the mode change
 * @param readdirplusAlways every listing request is a READDIRPLUS (FUSE_READDIRPLUS without
 *                        _AUTO); by default the kernel asks for attributes only on a listing's
 *                        first page and after a lookup in the directory, so a program that reads
 *                        a whole directory and then stats every name (ls -l, find -printf) looks
 *                        up most names one by one
 * @param maxWrite        largest WRITE the kernel may send (capped at 1 MiB)
 * @param maxReadahead    kernel read-ahead window
 * @param threads         request threads (readers on cloned /dev/fuse fds, or the pool size)
 * @param maxBackground   FUSE max_background (outstanding async requests, e.g. read-ahead)
 * @param directIo        open every file with FOPEN_DIRECT_IO unless the file system says otherwise
 * @param debug           log every request and reply at debug level
 */
public record MountOptions(
        String fsName,
        String subtype,
        boolean allowOther,
        boolean defaultPermissions,
        boolean readOnly,
        boolean writebackCache,
        boolean handleKillpriv,
        boolean readdirplusAlways,
        int maxWrite,
        int maxReadahead,
        int threads,
        int maxBackground,
        boolean directIo,
        boolean debug) {

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String fsName = "fsdriver";
        private String subtype = "fsdriver";
        private boolean allowOther;
        private boolean defaultPermissions;
        private boolean readOnly;
        private boolean writebackCache;
        private boolean handleKillpriv;
        private boolean readdirplusAlways;
        private int maxWrite = 1 << 20;
        private int maxReadahead = 1 << 20;
        private int threads = 8;
        private int maxBackground = 64;
        private boolean directIo;
        private boolean debug;

        public Builder fsName(String v) { fsName = v; return this; }
        public Builder subtype(String v) { subtype = v; return this; }
        public Builder allowOther(boolean v) { allowOther = v; return this; }
        public Builder defaultPermissions(boolean v) { defaultPermissions = v; return this; }
        public Builder readOnly(boolean v) { readOnly = v; return this; }
        public Builder writebackCache(boolean v) { writebackCache = v; return this; }
        public Builder handleKillpriv(boolean v) { handleKillpriv = v; return this; }
        public Builder readdirplusAlways(boolean v) { readdirplusAlways = v; return this; }
        public Builder maxWrite(int v) { maxWrite = v; return this; }
        public Builder maxReadahead(int v) { maxReadahead = v; return this; }
        public Builder threads(int v) { threads = v; return this; }
        public Builder maxBackground(int v) { maxBackground = v; return this; }
        public Builder directIo(boolean v) { directIo = v; return this; }
        public Builder debug(boolean v) { debug = v; return this; }

        public MountOptions build() {
            return new MountOptions(fsName, subtype, allowOther, defaultPermissions, readOnly, writebackCache,
                    handleKillpriv, readdirplusAlways, maxWrite, maxReadahead, threads, maxBackground, directIo, debug);
        }
    }
}
