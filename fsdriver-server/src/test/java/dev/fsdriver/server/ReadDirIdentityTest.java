package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.common.Errno;
import dev.fsdriver.proto.v1.DirEntry;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A listing's pages read their attributes when asked for (Backend#listNames): every page must
 * come from the directory the names came from, and that must be the node's. Here nothing
 * follows the disk's changes (a Share without a watcher): the node table keeps the old path,
 * as for the moment before the server's watcher sees a change made behind its back. In each of
 * the posix backend's three modes (openat2, the lstat walk, java.nio only), and with Backend's
 * default per-page attributes.
 */
class ReadDirIdentityTest {
    @TempDir
    Path dir;
    private Share share;

    @FunctionalInterface
    interface Opener {
        Backend open(Path root) throws IOException;
    }

    static Stream<Opener> modes() {
        return Stream.of(r -> PosixBackend.open(r, false), r -> PosixBackend.openWalking(r, false),
                r -> PosixBackend.openPortable(r, false), r -> defaultAttributes(PosixBackend.open(r, false)));
    }

    /** The posix backend's names with Backend's default attributes (stats by path, the directory's last). */
    private static Backend defaultAttributes(Backend posix) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("attributes")) {
                        return InvocationHandler.invokeDefault(proxy, method, args);
                    }
                    try {
                        return method.invoke(posix, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @AfterEach
    void close() {
        if (share != null) {
            share.close();
        }
    }

    /** p with g0..g5, g{i} holding i bytes; returns p's node. */
    private long open(Opener mode) throws Exception {
        Files.createDirectory(dir.resolve("p"));
        for (int i = 0; i < 6; i++) {
            Files.writeString(dir.resolve("p/g" + i), "x".repeat(i));
        }
        share = new Share("s", mode.open(dir), false);
        FileAttributes a = share.backend.stat(RelPath.parse("p"));
        return FilesService.entry(share, RelPath.parse("p"), a).getId();
    }

    private ReadDirReply page(long node, long cursor) throws FsException {
        return DirPages.readDir(share, ReadDirRequest.newBuilder().setNode(node).setCursor(cursor)
                .setMaxEntries(2).setPlus(true).build());
    }

    private static long last(ReadDirReply r) {
        return r.getEntries(r.getEntriesCount() - 1).getCursor();
    }

    /** p renamed to q and a new p made with the same names (other sizes) between two pages. */
    private void replace() throws IOException {
        Files.move(dir.resolve("p"), dir.resolve("q"));
        Files.createDirectory(dir.resolve("p"));
        for (int i = 0; i < 6; i++) {
            Files.writeString(dir.resolve("p/g" + i), "y".repeat(10));
        }
    }

    /**
     * NFS's answer: the listing goes on ESTALE, as does a new listing of the node, rather than
     * the new directory's files as the old one's. Before the identity check, the second page gave
     * the new p's g2 and g3 (10 bytes each) as entries of the old p's node.
     */
    @ParameterizedTest
    @MethodSource("modes")
    void aDirectoryReplacedBetweenTwoPagesIsStaleNotTheNewDirectorysFiles(Opener mode) throws Exception {
        long p = open(mode);
        ReadDirReply first = page(p, 0);
        assertThat(first.getEntriesList()).extracting(DirEntry::getName).containsExactly("g0", "g1");
        replace();
        assertThatThrownBy(() -> page(p, last(first)))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
        assertThatThrownBy(() -> page(p, 0)).as("a new listing of the node: p is another directory now")
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
    }

    /** Once the server follows the rename, the listing goes on from the node's directory, now at q. */
    @ParameterizedTest
    @MethodSource("modes")
    void aRenameFollowedBetweenTwoPagesContinuesTheListingInTheRenamedDirectory(Opener mode) throws Exception {
        long p = open(mode);
        ReadDirReply first = page(p, 0);
        replace();
        share.nodes.renamed(RelPath.parse("p"), RelPath.parse("q"));
        ReadDirReply second = page(p, last(first));
        assertThat(second.getEntriesList()).extracting(DirEntry::getName).containsExactly("g2", "g3");
        assertThat(second.getEntriesList()).extracting(e -> e.getNode().getAttr().getSize()).containsExactly(2L, 3L);
        assertThat(second.getEventSequence()).isEqualTo(first.getEventSequence());
    }

    /** Removed between two pages: ESTALE (it was ENOENT, which getdents(2) never says of an open directory). */
    @ParameterizedTest
    @MethodSource("modes")
    void aDirectoryRemovedBetweenTwoPagesIsStale(Opener mode) throws Exception {
        long p = open(mode);
        ReadDirReply first = page(p, 0);
        for (int i = 0; i < 6; i++) {
            Files.delete(dir.resolve("p/g" + i));
        }
        Files.delete(dir.resolve("p"));
        assertThatThrownBy(() -> page(p, last(first)))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ESTALE));
    }

    /**
     * Names deleted, or made another file, between two pages: a listing race, not an error. A
     * deleted name is left out; a name that is now a directory is given as what it is now.
     */
    @ParameterizedTest
    @MethodSource("modes")
    void namesChangedBetweenTwoPagesAreLeftOutOrGivenAsTheyAreNow(Opener mode) throws Exception {
        long p = open(mode);
        ReadDirReply first = page(p, 0);
        Files.delete(dir.resolve("p/g2"));
        Files.delete(dir.resolve("p/g3"));
        Files.delete(dir.resolve("p/g4"));
        Files.createDirectory(dir.resolve("p/g4"));
        ReadDirReply second = page(p, last(first));
        assertThat(second.getEntriesList()).extracting(DirEntry::getName).containsExactly("g4", "g5");
        assertThat(second.getEntries(0).getNode().getAttr().getMode() & 0170000).isEqualTo(0040000);
        assertThat(second.getEntries(1).getNode().getAttr().getSize()).isEqualTo(5);
        assertThat(second.getEof()).isTrue();
        assertThat(List.of(first, second)).allSatisfy(r -> assertThat(r.getEventSequence()).isEqualTo(first.getEventSequence()));
    }
}
