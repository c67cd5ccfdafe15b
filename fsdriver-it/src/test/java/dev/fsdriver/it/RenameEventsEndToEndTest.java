package dev.fsdriver.it;

import static dev.fsdriver.it.MountEndToEndTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.proto.v1.ChangeEvent;
import dev.fsdriver.proto.v1.EventsGrpc;
import dev.fsdriver.proto.v1.Subscribe;
import dev.fsdriver.proto.v1.WatchReply;
import dev.fsdriver.proto.v1.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 item 3: the paths in the server's change events after RENAME_EXCHANGE of directories
 * and of files, made through a real mount (renameat2 through python3's ctypes: Java has no
 * renameat2) and observed on the real server's Events.Watch stream, as another client sees them.
 */
class RenameEventsEndToEndTest {
    /** renameat2(AT_FDCWD, a, AT_FDCWD, b, flags); exits with the errno on failure. */
    private static final String RENAMEAT2 = "import ctypes,sys;"
            + "libc=ctypes.CDLL(None,use_errno=True);"
            + "r=libc.renameat2(-100,sys.argv[1].encode(),-100,sys.argv[2].encode(),int(sys.argv[3]));"
            + "sys.exit(0 if r==0 else ctypes.get_errno())";

    @TempDir
    Path tmp;

    private static void renameat2(Path a, Path b, int flags) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", RENAMEAT2, a.toString(), b.toString(), Integer.toString(flags))
                .inheritIO().start();
        assertThat(p.waitFor()).as("renameat2 %s %s %d (exit = errno)", a, b, flags).isZero();
    }

    @Test
    void exchangedDirectoriesAndFilesAreReportedAtTheirTruePaths() throws Exception {
        Path share = Files.createDirectories(tmp.resolve("share"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        try (Fsdriver.Server server = Fsdriver.serve(tmp, "--share", "w=" + share);
             Fsdriver.Mount mount = Fsdriver.mount(tmp, server, "w", mnt)) {
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                StreamObserver<WatchRequest> req = EventsGrpc.newStub(ch).watch(new StreamObserver<>() {
                    @Override
                    public void onNext(WatchReply r) {
                        for (ChangeEvent e : r.getEventsList()) {
                            events.add(e.getKind() + " " + e.getPath()
                                    + (e.getKind() == ChangeEvent.Kind.RENAMED ? " -> " + e.getNewPath() : ""));
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        if (!done.get()) { // not the shutdown below
                            events.add("stream failed: " + t);
                        }
                    }

                    @Override
                    public void onCompleted() {}
                });
                req.onNext(WatchRequest.newBuilder().setSubscribe(Subscribe.newBuilder().setShare("w")).build());
                // The issue's sequence, through the mount.
                Fsdriver.shOk(mnt, "mkdir -p x1/P/Q x1/R/T && echo F > x1/P/Q/f && echo G > x1/R/T/g");
                awaitTrue(() -> events.contains("CREATED x1/R/T/g"));
                renameat2(mnt.resolve("x1/P"), mnt.resolve("x1/R"), 2);
                renameat2(mnt.resolve("x1/R/Q/f"), mnt.resolve("x1/P/T/g"), 2);
                assertThat(Files.readString(mnt.resolve("x1/R/Q/f"))).isEqualTo("G\n");
                Files.delete(mnt.resolve("x1/R/Q/f"));
                // and a no-replace rename of an exchanged directory
                renameat2(mnt.resolve("x1/P"), mnt.resolve("x1/S"), 1);
                Files.writeString(mnt.resolve("x1/S/T/h"), "H");
                awaitTrue(() -> events.contains("CREATED x1/S/T/h"));
                done.set(true);
                req.onCompleted();
            } finally {
                ch.shutdownNow();
            }
        }
        List<String> seen = List.copyOf(events);
        assertThat(seen).containsSubsequence(
                "RENAMED x1/P -> x1/R",
                "RENAMED x1/R -> x1/P",
                "RENAMED x1/R/Q/f -> x1/P/T/g",
                "RENAMED x1/P/T/g -> x1/R/Q/f",
                "DELETED x1/R/Q/f",
                "RENAMED x1/P -> x1/S",
                "CREATED x1/S/T/h");
        assertThat(seen.subList(seen.indexOf("RENAMED x1/P -> x1/R"), seen.size()))
                .as("after the exchange nothing lives at x1/P/Q or x1/R/T")
                .noneMatch(e -> e.contains("x1/P/Q") || e.contains("x1/R/T"));
        assertThat(seen).noneMatch(e -> e.startsWith("stream failed"));
    }
}
