package dev.fsdriver.fuse;

/**
 * Told of every request the mount serves, on the thread that calls the file system, before and
 * after the call (the answer itself may come later, from another thread). For accounting only
 * (metrics): it must be cheap and must not throw.
 */
public interface RequestListener {
    /** The listener of a mount that has none. */
    RequestListener NONE = new RequestListener() {
        @Override
        public void serving(int opcode) {}

        @Override
        public void served(int opcode) {}
    };

    /** The file system is about to be called for a request with this opcode (FuseOpcode). */
    void serving(int opcode);

    /** The file system's method for that request returned (or threw). */
    void served(int opcode);
}
