package dev.fsdriver.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback TCP relay that records every byte it forwards, both ways: the test's packet
 * capture (what an eavesdropper on the wire would see), with no capture tool to install.
 */
final class TcpRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final int target;
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    private final List<Socket> sockets = new ArrayList<>();
    private final boolean recording;
    /** Until then, every read is followed by a pause: a slow link (or a slow server). */
    private volatile long slowUntil = System.nanoTime();
    /** While set, what the server sends is read and thrown away: its replies are lost on the way. */
    private volatile boolean dropReplies;

    TcpRelay(int targetPort) throws IOException {
        this(targetPort, true);
    }

    /** {@code recording}: keep what is forwarded for {@link #seen()} (not for bulk data). */
    TcpRelay(int targetPort, boolean recording) throws IOException {
        this.target = targetPort;
        this.recording = recording;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("relay-accept").start(this::accept);
    }

    int port() {
        return listener.getLocalPort();
    }

    String address() {
        return "tcp://127.0.0.1:" + port();
    }

    /** For {@code d} from now, forwards at most 64 KiB per 50 ms each way. */
    void slowDown(java.time.Duration d) {
        slowUntil = System.nanoTime() + d.toNanos();
    }

    /** From now on ({@code true}) or no longer, the server's bytes never reach the client. */
    void dropReplies(boolean drop) {
        dropReplies = drop;
    }

    /** Everything forwarded so far, both directions interleaved. */
    byte[] seen() {
        synchronized (seen) {
            return seen.toByteArray();
        }
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket in = listener.accept();
                Socket out;
                try {
                    out = new Socket(InetAddress.getLoopbackAddress(), target);
                } catch (IOException serverDown) {
                    in.close(); // as a refused connection; the next one may find the server back
                    continue;
                }
                synchronized (sockets) {
                    sockets.add(in);
                    sockets.add(out);
                }
                Thread.ofPlatform().daemon().start(() -> pump(in, out, false));
                Thread.ofPlatform().daemon().start(() -> pump(out, in, true));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** {@code replies}: from the server to the client. */
    private void pump(Socket from, Socket to, boolean replies) {
        byte[] buf = new byte[65536];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buf)) > 0; ) {
                if (recording) {
                    synchronized (seen) {
                        seen.write(buf, 0, n);
                    }
                }
                if (!(replies && dropReplies)) {
                    out.write(buf, 0, n);
                }
                if (System.nanoTime() - slowUntil < 0) {
                    Thread.sleep(50);
                }
            }
        } catch (IOException | InterruptedException e) {
            // one side closed: close the other
        } finally {
            try {
                to.close();
                from.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        synchronized (sockets) {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
