package dev.fsdriver.client.events;

import dev.fsdriver.linux.ErrnoException;
import dev.fsdriver.linux.FileCalls;

/**
 * The path-based system calls the {@link Injector} performs on its own mount: one VFS operation
 * each, nothing else (java.nio would add lstat calls and open/close pairs, and with them extra,
 * dishonest inotify events). The calls are the native layer's ({@link FileCalls}); what this
 * class adds is the rule that they run only on the injecting thread, inside
 * {@link Injector#perform} (they throw IllegalStateException elsewhere): only there are the
 * requests they cause refused unless answered locally.
 */
final class InjectedCalls {
    private InjectedCalls() {}

    static void mknod(String path, int mode) throws ErrnoException {
        Injector.requireInjectingThread();
        FileCalls.mknod(path, mode);
    }

    static void mkdir(String path, int mode) throws ErrnoException {
        Injector.requireInjectingThread();
        FileCalls.mkdir(path, mode);
    }

    static void symlink(String target, String path) throws ErrnoException {
        Injector.requireInjectingThread();
        FileCalls.symlink(target, path);
    }

    static void unlink(String path) throws ErrnoException {
        Injector.requireInjectingThread();
        FileCalls.unlink(path);
    }

    static void rmdir(String path) throws ErrnoException {
        Injector.requireInjectingThread();
        FileCalls.rmdir(path);
    }

    static void rename(String from, String to) throws ErrnoException {
        Injector.requireInjectingThread();
        FileCalls.rename(from, to);
    }

    /** renameat2 with RENAME_EXCHANGE: each name then holds the other's file. */
    static void exchange(String a, String b) throws ErrnoException {
        Injector.requireInjectingThread();
        dev.fsdriver.linux.AtCalls.renameat2(dev.fsdriver.linux.AtCalls.AT_FDCWD, a, dev.fsdriver.linux.AtCalls.AT_FDCWD, b,
                dev.fsdriver.linux.AtCalls.RENAME_EXCHANGE);
    }

    static void truncate(String path, long length) throws ErrnoException {
        Injector.requireInjectingThread();
        FileCalls.truncate(path, length);
    }

    static void chmod(String path, int mode) throws ErrnoException {
        Injector.requireInjectingThread();
        FileCalls.chmod(path, mode);
    }
}
