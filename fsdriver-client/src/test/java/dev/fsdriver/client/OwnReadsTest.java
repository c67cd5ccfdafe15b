package dev.fsdriver.client;

import static dev.fsdriver.client.TestServer.REQ;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.client.cache.KnownAttrs;
import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.fuse.FuseAttrReply;
import dev.fsdriver.fuse.FuseEntry;
import dev.fsdriver.fuse.FuseException;
import dev.fsdriver.fuse.FuseFileSystem;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The events layer's own reads ({@link OwnReads}): a fresh one is answered by the server, never
 * from what the client keeps while events flow (the overflow resync compares a directory's times
 * with the server's, and a stat a program made after the overflow's drop refills
 * {@link KnownAttrs} with times a later create, whose event is lost, moved on the server only);
 * and none is lent a reference the kernel holds.
 */
class OwnReadsTest {
    private static final long ROOT = FuseFileSystem.ROOT_ID;

    @TempDir
    Path dir;
    private TestServer server;
    private Connection connection;
    private RemoteFileSystem fs;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestServer(dir, false);
        connection = server.connect(ClientOptions.defaults());
        fs = RemoteFileSystem.connect(connection);
        fs.events().prefetchWhile(() -> true); // events flow: attributes are kept
    }

    @AfterEach
    void tearDown() {
        fs.close();
        connection.close();
        server.close();
    }

    /**
     * Failed before (seen: the resync's GetAttr of the directory answered with the kept times
     * the program's stat got, the create's moved times never asked for).
     */
    @Test
    void aDirectorysTimesAreTheServersNotAStatsKeptByTheClient() throws Exception {
        Path d = Files.createDirectory(dir.resolve("d"));
        Files.setLastModifiedTime(d, FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
        long node = Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "d", r)).nodeId();
        fs.events().changed(); // the overflow event's drop
        FuseAttr stat = Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr(); // a program's stat: kept again
        Files.writeString(d.resolve("made-after-the-stat"), "x"); // its event lost

        assertThat(Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, node, -1, r)).attr().mtimeNs()).as("the program's stat is kept (the cache under test)")
                .isEqualTo(stat.mtimeNs());
        FuseAttr fresh = Reply.<FuseAttrReply>await(r -> fs.events().reads().getattr(node, true, r)).attr();
        assertThat(fresh.mtimeNs()).as("the server's mtime, moved by the create").isNotEqualTo(stat.mtimeNs());
        assertThat(fresh.ctimeNs()).as("the server's ctime, moved by the create").isNotEqualTo(stat.ctimeNs());
    }

    /**
     * A lookup's attributes likewise (the size a changed file is announced with): failed before
     * (seen: answered from the listing kept for lookups, with the size before the change).
     */
    @Test
    void aLookupIsTheServersNotAKeptListings() throws Exception {
        Files.writeString(dir.resolve("f"), "one");
        // two misses in the root within a second: it is listed and kept for lookups (ColdLookups)
        lookupMissing("a");
        lookupMissing("b");
        Files.writeString(dir.resolve("f"), "three"); // its event lost
        assertThat(Reply.<FuseEntry>await(r -> fs.events().reads().lookup(ROOT, "f", true, r)).attr().size()).as("the server's size").isEqualTo(5);
        assertThat(Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "f", r)).attr().size()).as("answered from the kept listing (the cache under test)")
                .isEqualTo(3);
    }

    /**
     * A name the kernel took from a kept listing already: the kernel's next lookup of it is lent
     * the reference it holds (the events layer counts it), the events layer's own lookup never is
     * (it gives its reference back to the server, which must have counted it).
     */
    @Test
    void onlyTheKernelIsLentAReferenceItHolds() throws Exception {
        Files.writeString(dir.resolve("f"), "one");
        List<Long> lent = new ArrayList<>();
        fs.events().lendsFrom((node, generation) -> lent.add(node));
        lookupMissing("a");
        lookupMissing("b"); // the root listed and kept for lookups
        long f = Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "f", r)).nodeId(); // the listing's reference
        Reply.<FuseAttrReply>await(r -> fs.getattr(REQ, f, -1, r)); // its attributes known current
        FuseEntry own = Reply.<FuseEntry>await(r -> fs.events().reads().lookup(ROOT, "f", false, r));
        assertThat(own.nodeId()).isEqualTo(f);
        assertThat(lent).as("the events layer's own lookup").isEmpty();
        fs.events().reads().forget(f, 1);
        Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, "f", r));
        assertThat(lent).as("the kernel's second lookup, answered from the kept listing").containsExactly(f);
    }

    private void lookupMissing(String name) {
        try {
            Reply.<FuseEntry>await(r -> fs.lookup(REQ, ROOT, name, r));
        } catch (FuseException expected) {
            // ENOENT: a miss
        }
    }
}
