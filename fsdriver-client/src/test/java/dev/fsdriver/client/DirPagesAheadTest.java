package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.proto.v1.ForgetRequest;
import dev.fsdriver.proto.v1.ReadDirRequest;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A listing's next page asked for while the kernel reads the current one: of the kind the kernel
 * asks for by then, used once, and its references given back when the listing never gets there.
 */
class DirPagesAheadTest {
    private static final long ROOT = FuseFileSystem.ROOT_ID;
    private static final int PAGE = 5;
    private static final int FILES = 12;

    @TempDir
    Path dir;
    /** Each ReadDir the server received: "cursor:plus" ("0:true" for a first plus page). */
    private final List<String> readDirs = new CopyOnWriteArrayList<>();
    private final List<Long> forgotten = new CopyOnWriteArrayList<>();
    private TestServer server;
    private RemoteFileSystem fs;

    private final ServerInterceptor recorder = new ServerInterceptor() {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                           ServerCallHandler<Q, A> next) {
            return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                @Override
                public void onMessage(Q message) {
                    if (message instanceof ReadDirRequest r) {
                        readDirs.add((r.getCursor() == 0 ? "0" : "c") + ":" + r.getPlus());
                    } else if (message instanceof ForgetRequest f) {
                        forgotten.addAll(f.getNodesList());
                    }
                    super.onMessage(message);
                }
            };
        }
    };

    @BeforeEach
    void start() throws Exception {
        for (int i = 0; i < FILES; i++) {
            Files.writeString(dir.resolve(name(i)), "x");
        }
        server = new TestServer(dir, false, recorder);
        fs = RemoteFileSystem.connect(server.connect(ClientOptions.builder().readDirPageSize(PAGE).build()));
        fs.events().prefetchWhile(() -> true);
    }

    @AfterEach
    void stop() {
        fs.close();
        server.close();
    }

    /** As the kernel does: 3 items per request (the first with "." and ".."); READDIRPLUS for the first or all. */
    private final class Kernel {
        final long fh = fs.opendir(REQ, ROOT, 0).fh();
        final List<String> names = new ArrayList<>();
        /** Nodes the kernel took with a plus entry. */
        final Set<Long> held = new HashSet<>();
        long offset;

        /** One request; false once the listing ended. */
        boolean request(boolean plus) throws Exception {
            int before = names.size();
            int[] room = {3};
            if (plus) {
                fs.readdirplus(REQ, ROOT, fh, offset, (name, entry, next) -> take(room, name, entry.nodeId(), next));
            } else {
                fs.readdir(REQ, ROOT, fh, offset, (name, ino, mode, next) -> take(room, name, 0, next));
            }
            return names.size() > before || offset < 2;
        }

        private boolean take(int[] room, String name, long node, long next) {
            if (room[0]-- == 0) {
                return false;
            }
            if (!name.equals(".") && !name.equals("..")) {
                names.add(name);
            }
            if (node != 0) {
                held.add(node);
            }
            offset = next;
            return true;
        }

        void release() {
            fs.releasedir(REQ, ROOT, fh);
        }
    }

    private static String name(int i) {
        return String.format("f%02d", i);
    }

    private static List<String> all() {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            all.add(name(i));
        }
        return all;
    }

    @Test
    void lsDashFGetsItsNextPagesAheadAsPlainPagesEachAskedOnce() throws Exception {
        Kernel k = new Kernel();
        k.request(true); // ".", "..", f00: the first page (f00..f04) fetched
        assertThat(fs.events().nextPagesWaiting()).isZero();
        k.request(false); // f01..f03 from that page: the next one is asked now
        assertThat(fs.events().nextPagesWaiting()).isEqualTo(1);
        while (k.request(false)) {
            // to the end
        }
        k.release();
        assertThat(k.names).isEqualTo(all());
        assertThat(readDirs).as("one call per page; the next pages as plain as the kernel's requests")
                .containsExactly("0:true", "c:false", "c:false");
        assertThat(fs.events().nextPagesWaiting()).isZero();
    }

    @Test
    void aNextPageTheListingNeverReachesGivesItsReferencesBack() throws Exception {
        Kernel k = new Kernel();
        k.request(true);
        k.request(true); // f01..f03: f05..f09 asked with their nodes
        assertThat(fs.events().nextPagesWaiting()).isEqualTo(1);
        k.release(); // rm's fts stops early, ls gets a signal
        assertThat(fs.events().nextPagesWaiting()).isZero();
        List<Long> back = forgotten(PAGE + 1);
        assertThat(readDirs).containsExactly("0:true", "c:true");
        assertThat(back).as("the five references of the page asked ahead and f04's, none the kernel holds")
                .hasSize(PAGE + 1).doesNotHaveDuplicates().doesNotContainAnyElementsOf(k.held);
    }

    @Test
    void aChangeDropsTheNextPageAndTheListingAsksAgain() throws Exception {
        Kernel k = new Kernel();
        k.request(true);
        k.request(true);
        fs.events().changed(); // an event: nothing fetched before it is used
        assertThat(fs.events().nextPagesWaiting()).isZero();
        assertThat(forgotten(PAGE)).as("the page asked ahead's references").hasSize(PAGE);
        while (k.request(true)) {
            // to the end
        }
        k.release();
        assertThat(k.names).isEqualTo(all());
        assertThat(readDirs).as("the dropped page asked again when the kernel got there")
                .containsExactly("0:true", "c:true", "c:true", "c:true");
    }

    /** The ids forgotten once at least {@code n} arrived (the node table sends every 200 ms), and 0.5 s more. */
    private List<Long> forgotten(int n) throws InterruptedException {
        long until = System.nanoTime() + 30_000_000_000L;
        while (forgotten.size() < n && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        Thread.sleep(500);
        return List.copyOf(forgotten);
    }
}
