import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP relay that delays every chunk by a fixed one-way time, in each direction, keeping order:
 * the kernels here have no netem, and the WSL2 link costs far more per call than loopback, so
 * bench/run.sh puts fsdriver and sshfs behind this to compare them at a WSL2-like latency.
 *
 * <p>Run as a source-file program: {@code java bench/DelayRelay.java LISTEN_PORT TARGET_HOST:PORT
 * DELAY_US}. It prints "listening" once the port is open. A chunk read at t is written at
 * t + delay (spinning the last 60 us: parkNanos alone oversleeps by about that much), so a
 * request/reply pair costs two delays, as a real link would.
 */
public final class DelayRelay {
    private record Chunk(long due, byte[] bytes) {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: java DelayRelay.java LISTEN_PORT TARGET_HOST:PORT DELAY_US");
            System.exit(2);
        }
        int listen = Integer.parseInt(args[0]);
        String[] target = args[1].split(":", 2);
        long delayNanos = Long.parseLong(args[2]) * 1_000;
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listen));
            System.out.println("listening on " + listen + ", delay " + args[2] + " us");
            System.out.flush();
            while (true) {
                Socket client = server.accept();
                Socket upstream = new Socket(target[0], Integer.parseInt(target[1]));
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                pipe(client, upstream, delayNanos);
                pipe(upstream, client, delayNanos);
            }
        }
    }

    /** Two platform threads per direction: one reads and stamps, one waits for each due time and writes. */
    private static void pipe(Socket from, Socket to, long delayNanos) throws IOException {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[256 * 1024];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    queue.put(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buf, n)));
                }
            } catch (IOException | InterruptedException e) {
                // the connection ended; the writer closes the other side
            }
            queue.add(new Chunk(0, null));
        });
        Thread writer = new Thread(() -> {
            try {
                while (true) {
                    Chunk c = queue.take();
                    if (c.bytes() == null) {
                        break;
                    }
                    long wait;
                    while ((wait = c.due() - System.nanoTime()) > 0) {
                        if (wait > 60_000) {
                            LockSupport.parkNanos(wait - 60_000);
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                    out.write(c.bytes());
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the other side is gone
            }
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // already closed
            }
        });
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }
}
