package dev.fsdriver.server;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test backend: a real one whose {@link Backend#locate} answers what the test says, and whose
 * {@link Backend#stat} of chosen paths gives chosen attributes (to play a reused inode number), and
 * after whose renames a test may run a call.
 * Everything else goes to the real backend.
 */
final class LocatingBackend implements InvocationHandler {
    @FunctionalInterface
    interface Locate {
        RelPath locate(long ino) throws FsException;
    }

    private final Backend real;
    volatile Locate locate = ino -> null;
    final Map<RelPath, FileAttributes> stats = new ConcurrentHashMap<>();
    final AtomicInteger locates = new AtomicInteger();
    /** Run after each rename on disk, before it returns (a call overtaking the rename's table update). */
    volatile Runnable afterRename = () -> { };

    private LocatingBackend(Backend real) {
        this.real = real;
    }

    static LocatingBackend over(Backend real) {
        return new LocatingBackend(real);
    }

    Backend backend() {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, this);
    }

    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
        if (m.getName().equals("locate")) {
            locates.incrementAndGet();
            return locate.locate((Long) args[0]);
        }
        if (m.getName().equals("stat") && stats.containsKey((RelPath) args[0])) {
            return stats.get((RelPath) args[0]);
        }
        try {
            Object result = m.invoke(real, args);
            if (m.getName().equals("rename")) {
                afterRename.run();
            }
            return result;
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
