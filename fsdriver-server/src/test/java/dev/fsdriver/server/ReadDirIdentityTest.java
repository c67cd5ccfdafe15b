package dev.fsdriver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
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
    /** Outside the share. */
    @TempDir
    Path elsewhere;
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

    /** A cursor into a listing read to its end (kept a moment only, issue 16) still works. */
    @ParameterizedTest
    @MethodSource("modes")
    void aCursorIntoAListingReadToItsEndStillWorks(Opener mode) throws Exception {
        long p = open(mode);
        ReadDirReply first = page(p, 0);
        ReadDirReply r = first;
        while (!r.getEof()) {
            r = page(p, last(r));
        }
        assertThat(page(p, last(first)).getEntriesList()).extracting(e -> e.getName()).containsExactly("g2", "g3");
        assertThat(share.dirs.size()).as("a small listing stays a moment (DirSnapshotsTest: how long)").isEqualTo(1);
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
     * the new directory's files as the old one's. (On main later pages were slices of the
     * listing made for the first, old p's attributes and no error; with attributes read per page
     * and no identity check, the second page gave the new p's g2 and g3, 10 bytes each, as
     * entries of the old p's node.)
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

    /**
     * Removed between two pages: ESTALE. Linux's getdents of a removed directory held open says
     * ENOENT (IS_DEADDIR), but the server holds nothing open between pages: by its path a removed
     * directory looks like one renamed away whose event is not followed yet (and, with Backend's
     * default attributes, like one replaced), so NFS's answer for a handle whose file is not there.
     * (On main: no error, later pages came from the listing made for the first.)
     */
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

    private static void assertStale(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FsException.class,
                e -> assertThat(e.errno()).as(e.getMessage()).isEqualTo(Errno.ESTALE));
    }

    /**
     * p exchanged for a symlink to a directory outside the share holding the same names (or for
     * a file) between two pages: ESTALE, never the outside files' attributes.
     */
    @ParameterizedTest
    @MethodSource("modes")
    void aDirectoryExchangedForASymlinkOrAFileBetweenTwoPagesIsStale(Opener mode) throws Exception {
        long p = open(mode);
        for (int i = 0; i < 6; i++) {
            Files.writeString(elsewhere.resolve("g" + i), "outside".repeat(10));
        }
        ReadDirReply first = page(p, 0);
        Files.move(dir.resolve("p"), dir.resolve("q"));
        Files.createSymbolicLink(dir.resolve("p"), elsewhere);
        assertStale(() -> page(p, last(first)));
        Files.delete(dir.resolve("p"));
        Files.writeString(dir.resolve("p"), "a file");
        assertStale(() -> page(p, last(first)));
    }

    /**
     * p removed and a new p made with the same inode number (ext4 gives a freed number to the
     * next new file): only the generation tells them apart. Several directories are made until
     * one gets the old number; a file system that never gives it is said, not passed.
     */
    @ParameterizedTest
    @MethodSource("modes")
    void aDirectoryRemovedAndRemadeWithItsInodeNumberBetweenTwoPagesIsStale(Opener mode) throws Exception {
        long p = open(mode);
        FileAttributes old = share.backend.stat(RelPath.parse("p"));
        ReadDirReply first = page(p, 0);
        for (int i = 0; i < 6; i++) {
            Files.delete(dir.resolve("p/g" + i));
        }
        Files.delete(dir.resolve("p"));
        FileAttributes now = null;
        for (int i = 0; i < 50; i++) {
            Files.createDirectory(dir.resolve("p"));
            for (int j = 0; j < 6; j++) {
                Files.writeString(dir.resolve("p/g" + j), "y".repeat(10));
            }
            now = share.backend.stat(RelPath.parse("p"));
            if (now.ino() == old.ino()) {
                break;
            }
            Files.move(dir.resolve("p"), dir.resolve("aside" + i)); // kept: its number is not freed again
        }
        assumeTrue(now.ino() == old.ino(), "this file system gave no new directory the removed one's inode number");
        assumeTrue(old.generation() != 0 && now.generation() != 0,
                "this backend gives no generation here: the inode number alone cannot tell the two apart");
        assertStale(() -> page(p, last(first)));
    }

    /**
     * A continued cursor whose listing was evicted from the server's cache: the listing is made
     * again, and the node's directory having been replaced it is ESTALE too, not the new one's.
     */
    @ParameterizedTest
    @MethodSource("modes")
    void aContinuedCursorWhoseListingWasEvictedOfAReplacedDirectoryIsStale(Opener mode) throws Exception {
        long p = open(mode);
        ReadDirReply first = page(p, 0);
        replace();
        for (int i = 0; i < 300; i++) { // 300 listings of the root push p's out of the 256-listing cache
            DirPages.readDir(share, ReadDirRequest.newBuilder().setNode(1).setMaxEntries(1).build());
        }
        assertThat(share.dirs.find(p, last(first))).as("evicted").isNull();
        assertStale(() -> page(p, last(first)));
    }

    /**
     * The server's watcher follows a rename of p to q after this request read p's path and
     * before it read the page's attributes (the backend hook does both, deterministically): the
     * listing is intact, the page comes from q. Before, ESTALE, which the client gave getdents.
     */
    @ParameterizedTest
    @MethodSource("modes")
    void aRenameFollowedWhileAPageIsReadIsRetriedAtTheNewPath(Opener mode) throws Exception {
        AtomicBoolean renamed = new AtomicBoolean();
        long p = open(r -> renamingOnce(mode.open(r), r, renamed));
        ReadDirReply first = page(p, 0);
        ReadDirReply second = page(p, last(first));
        assertThat(renamed).isTrue();
        assertThat(second.getEntriesList()).extracting(DirEntry::getName).containsExactly("g2", "g3");
        assertThat(second.getEntriesList()).extracting(e -> e.getNode().getAttr().getSize()).containsExactly(2L, 3L);
        assertThat(share.nodes.path(second.getEntries(0).getNode().getId())).isEqualTo(RelPath.parse("q/g2"));
    }

    /** {@code backend} whose second page's attributes are asked for after p is renamed to q on the disk and in the node table. */
    private Backend renamingOnce(Backend backend, Path root, AtomicBoolean renamed) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("attributes") && args[0].equals(RelPath.parse("p"))
                            && ((List<?>) args[1]).contains("g2") && !renamed.getAndSet(true)) {
                        Files.move(root.resolve("p"), root.resolve("q"));
                        share.nodes.renamed(RelPath.parse("p"), RelPath.parse("q"));
                    }
                    try {
                        return method.invoke(backend, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
