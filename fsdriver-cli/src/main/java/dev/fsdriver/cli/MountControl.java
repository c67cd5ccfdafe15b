package dev.fsdriver.cli;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mount's control socket, for {@code fsdriver status}: a Unix socket in {@link #directory()}
 * named after the mount's pid; each connection gets the mount's status as Java properties text
 * and is closed. The directory is the user's own (0700), so only the user (and root) can ask.
 */
final class MountControl implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MountControl.class);
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread thread;

    private MountControl(Path socket, ServerSocketChannel server, Supplier<Properties> status) {
        this.socket = socket;
        this.server = server;
        this.thread = Thread.ofVirtual().name("fsdriver-control").start(() -> serve(status));
    }

    /**
     * Where mounts put their sockets: $XDG_RUNTIME_DIR/fsdriver, else /run/fsdriver for root,
     * else /tmp/fsdriver-UID.
     */
    static Path directory() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty()) {
            return Path.of(runtime, "fsdriver");
        }
        long uid = uid();
        return uid == 0 ? Path.of("/run/fsdriver") : Path.of("/tmp/fsdriver-" + uid);
    }

    private static long uid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    /** Opens this process's socket; null (with a warning) if it cannot: status is a convenience, the mount goes on. */
    static MountControl open(Supplier<Properties> status) {
        Path dir = directory();
        Path socket = dir.resolve("mount-" + ProcessHandle.current().pid() + ".sock");
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (!Files.getOwner(dir).equals(Files.getOwner(Path.of("/proc/self")))) {
                throw new IOException(dir + " belongs to another user");
            }
            Files.deleteIfExists(socket);   // a pid reused after a crash
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            return new MountControl(socket, server, status);
        } catch (IOException e) {
            LOG.warn("no control socket at {} (fsdriver status will not list this mount): {}", socket, e.getMessage());
            return null;
        }
    }

    private void serve(Supplier<Properties> status) {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                StringWriter text = new StringWriter();
                status.get().store(text, null);
                ByteBuffer out = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.ISO_8859_1));
                while (out.hasRemaining()) {
                    c.write(out);
                }
            } catch (IOException | RuntimeException e) {
                if (server.isOpen()) {
                    LOG.debug("control socket: {}", e.toString());
                }
            }
        }
    }

    /** The status of every mount that answers in {@link #directory()}; sockets of processes that are gone are removed. */
    static List<Properties> statuses() {
        List<Properties> all = new ArrayList<>();
        Path dir = directory();
        if (!Files.isDirectory(dir)) {
            return all;
        }
        try (var sockets = Files.newDirectoryStream(dir, "mount-*.sock")) {
            for (Path s : sockets) {
                Properties p = ask(s);
                if (p != null) {
                    all.add(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    private static Properties ask(Path socket) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            var bytes = new java.io.ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(4096);
            while (c.read(in) >= 0) {
                bytes.write(in.array(), 0, in.position());
                in.clear();
            }
            Properties p = new Properties();
            p.load(new StringReader(bytes.toString(StandardCharsets.ISO_8859_1)));
            return p;
        } catch (java.net.ConnectException | java.nio.file.NoSuchFileException e) {
            try {
                Files.deleteIfExists(socket);   // its mount is gone
            } catch (IOException ignored) {
                // someone else's to clean
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.debug("closing the control socket: {}", e.toString());
        }
        thread.interrupt();
    }
}
