package dev.fsdriver.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Backend;
import dev.fsdriver.backend.Change.Kind;
import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.posix.PosixBackend;
import dev.fsdriver.server.events.EventHub.Event;
import dev.fsdriver.server.events.Origins.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which events are a session's own: decided by the path's state, not by time alone. */
class OriginsTest {
    private static final long ME = 0x1234;
    private static final long OTHER = 0x5678;

    @TempDir
    Path dir;
    Backend backend;
    final AtomicLong clock = new AtomicLong(1_000_000_000L);
    Origins origins;

    @BeforeEach
    void open() throws Exception {
        backend = PosixBackend.open(dir, false);
        origins = new Origins(backend, clock::get, 10_000_000_000L);
    }

    @AfterEach
    void close() {
        backend.close();
    }

    private static Event event(Kind kind, String path) throws Exception {
        return new Event(1, kind, RelPath.parse(path), null, false);
    }

    /** What a Files handler does: begin, the change, record what it left. */
    private FileAttributes write(long session, String name, String content) throws Exception {
        RelPath p = RelPath.parse(name);
        origins.begin(session, p);
        Files.writeString(dir.resolve(name), content);
        FileAttributes after = backend.stat(p);
        origins.changed(session, p, after);
        return after;
    }

    @Test
    void aChangeIsItsSessionsOwnWhileThePathIsAsItLeftIt() throws Exception {
        write(ME, "f", "mine");
        assertThat(origins.judge(ME, event(Kind.CREATED, "f"))).isEqualTo(Verdict.OWN);
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "f"))).isEqualTo(Verdict.OWN);
        assertThat(origins.judge(OTHER, event(Kind.MODIFIED, "f"))).as("another client's view").isEqualTo(Verdict.FOREIGN);
        assertThat(origins.judge(0, event(Kind.MODIFIED, "f"))).as("a client without session").isEqualTo(Verdict.FOREIGN);
    }

    /**
     * The race behind issue 17's injected events for sqlite's journal: the session's next write
     * lands between the judge reading the record and looking at the path. The path is then in the
     * state the session's newer record says: still its own, not someone else's.
     */
    @Test
    void theSessionsNextChangeLandingWhileAnEventIsJudgedKeepsItOwn() throws Exception {
        write(ME, "f", "first");
        AtomicBoolean raced = new AtomicBoolean();
        Backend racing = (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (proxy, m, args) -> {
                    if (m.getName().equals("stat") && raced.compareAndSet(false, true)) {
                        write(ME, "f", "second, longer"); // the session's next write, just before the look
                    }
                    try {
                        return m.invoke(backend, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Origins real = origins;
        origins = new Origins(racing, clock::get, 10_000_000_000L);
        write(ME, "f", "first");
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "f"))).isEqualTo(Verdict.OWN);
        assertThat(raced).isTrue();
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "f"))).as("and the record stays").isEqualTo(Verdict.OWN);
        origins = real;
    }

    /**
     * Write-behind sends a file's writes at once: the one that looked at the file first may end
     * last. The file is as the session left it; its writes' events are its own (issue 17: sqlite's
     * database came back to the mount as modified by someone else and was injected).
     */
    @Test
    void overlappingChangesEndingOutOfOrderAreStillTheSessionsOwn() throws Exception {
        RelPath p = RelPath.parse("f");
        write(ME, "f", "");
        origins.begin(ME, p);
        origins.begin(ME, p);
        Files.writeString(dir.resolve("f"), "one");
        FileAttributes first = backend.stat(p);
        Files.writeString(dir.resolve("f"), "one, two");
        FileAttributes second = backend.stat(p);
        origins.changed(ME, p, second);
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "f"))).as("the first still in progress").isEqualTo(Verdict.WAIT);
        origins.changed(ME, p, first);
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "f"))).isEqualTo(Verdict.OWN);
        Files.writeString(dir.resolve("f"), "theirs, after");
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "f"))).as("a foreign change after them").isEqualTo(Verdict.FOREIGN);
    }

    @Test
    void aForeignChangeRightAfterIsForeignEvenOfTheSameKind() throws Exception {
        write(ME, "f", "mine, long");
        Files.writeString(dir.resolve("f"), "theirs"); // a program on the server, a moment later
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "f"))).isEqualTo(Verdict.FOREIGN);
    }

    @Test
    void aForeignDeleteOfTheSessionsFileIsForeign() throws Exception {
        write(ME, "f", "mine");
        Files.delete(dir.resolve("f"));
        assertThat(origins.judge(ME, event(Kind.DELETED, "f"))).isEqualTo(Verdict.FOREIGN);
    }

    @Test
    void theSessionsDeleteIsOwnWhileThePathStaysAbsent() throws Exception {
        Files.writeString(dir.resolve("f"), "x");
        RelPath p = RelPath.parse("f");
        origins.begin(ME, p);
        Files.delete(dir.resolve("f"));
        origins.removed(ME, p);
        assertThat(origins.judge(ME, event(Kind.DELETED, "f"))).isEqualTo(Verdict.OWN);
        Files.writeString(dir.resolve("f"), "recreated by someone else");
        assertThat(origins.judge(ME, event(Kind.CREATED, "f"))).isEqualTo(Verdict.FOREIGN);
    }

    @Test
    void afterAForeignChangeNoLaterEventOfThePathIsTheSessions() throws Exception {
        Files.writeString(dir.resolve("f"), "x");
        RelPath p = RelPath.parse("f");
        origins.begin(ME, p);
        Files.delete(dir.resolve("f"));
        origins.removed(ME, p);
        Files.writeString(dir.resolve("f"), "someone else's"); // re-created...
        assertThat(origins.judge(ME, event(Kind.CREATED, "f"))).isEqualTo(Verdict.FOREIGN);
        Files.delete(dir.resolve("f"));                         // ...and deleted again
        assertThat(origins.judge(ME, event(Kind.DELETED, "f"))).isEqualTo(Verdict.FOREIGN);
    }

    @Test
    void anEventDuringTheSessionsCallWaitsForItsOutcome() throws Exception {
        RelPath p = RelPath.parse("f");
        origins.begin(ME, p);
        Files.writeString(dir.resolve("f"), "in progress");
        assertThat(origins.judge(ME, event(Kind.CREATED, "f"))).isEqualTo(Verdict.WAIT);
        origins.changed(ME, p, backend.stat(p));
        assertThat(origins.judge(ME, event(Kind.CREATED, "f"))).isEqualTo(Verdict.OWN);
    }

    @Test
    void aFailedChangeLeavesNothingToClaim() throws Exception {
        Files.writeString(dir.resolve("f"), "x");
        RelPath p = RelPath.parse("f");
        origins.begin(ME, p);
        origins.failed(ME, p);
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "f"))).isEqualTo(Verdict.FOREIGN);
    }

    @Test
    void aRenameIsOwnWhileItsTargetIsAsTheSessionLeftIt() throws Exception {
        Files.writeString(dir.resolve("a"), "x");
        RelPath a = RelPath.parse("a");
        RelPath b = RelPath.parse("b");
        origins.begin(ME, a);
        origins.begin(ME, b);
        Files.move(dir.resolve("a"), dir.resolve("b"));
        origins.changed(ME, b, backend.stat(b));
        origins.removed(ME, a);
        Event renamed = new Event(1, Kind.RENAMED, a, b, false);
        assertThat(origins.judge(ME, renamed)).isEqualTo(Verdict.OWN);
        // a new a made by someone else is its own event, and foreign
        Files.writeString(dir.resolve("a"), "someone made a new a");
        assertThat(origins.judge(ME, event(Kind.CREATED, "a"))).isEqualTo(Verdict.FOREIGN);
        // someone changing b after the rename makes the rename's report foreign too
        Files.writeString(dir.resolve("b"), "and changed b");
        assertThat(origins.judge(ME, renamed)).isEqualTo(Verdict.FOREIGN);
    }

    /** The session renames d to e, as Share.rename does. */
    private void renameDir(String from, String to) throws Exception {
        RelPath f = RelPath.parse(from);
        RelPath t = RelPath.parse(to);
        origins.begin(ME, f);
        origins.begin(ME, t);
        Files.move(dir.resolve(from), dir.resolve(to));
        origins.moved(f, t);
        origins.changed(ME, t, backend.stat(t));
        origins.removed(ME, f);
    }

    /**
     * Issue 9 (SIGBUS through the mount): records were keyed by path, so once the session renamed
     * a file's parent directory, the events of its own change to the file (judged after the
     * rename, under the old path or the new) went back to it as someone else's.
     */
    @Test
    void aFilesOwnChangeStaysOwnAfterTheSessionRenamedItsParent() throws Exception {
        Files.createDirectories(dir.resolve("d"));
        write(ME, "d/f", "mine");
        renameDir("d", "e");
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "d/f"))).as("the old path, judged after the rename")
                .isEqualTo(Verdict.OWN);
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "e/f"))).as("the new path").isEqualTo(Verdict.OWN);
        assertThat(origins.judge(OTHER, event(Kind.MODIFIED, "e/f"))).isEqualTo(Verdict.FOREIGN);
        Files.writeString(dir.resolve("e/f"), "someone else's");
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "e/f"))).isEqualTo(Verdict.FOREIGN);
    }

    @Test
    void aFileSomeoneElseChangedBeforeTheRenameOfItsParentIsForeign() throws Exception {
        Files.createDirectories(dir.resolve("d"));
        write(ME, "d/f", "mine");
        Files.writeString(dir.resolve("d/f"), "someone else's");
        renameDir("d", "e");
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "d/f"))).isEqualTo(Verdict.FOREIGN);
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "e/f"))).isEqualTo(Verdict.FOREIGN);
    }

    @Test
    void overflowIsNeverOwnAndOldRecordsExpire() throws Exception {
        write(ME, "f", "mine");
        assertThat(origins.judge(ME, event(Kind.OVERFLOW, ""))).isEqualTo(Verdict.FOREIGN);
        clock.addAndGet(11_000_000_000L);
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "f"))).isEqualTo(Verdict.FOREIGN);
        write(ME, "g", "later"); // recording sweeps what expired
        assertThat(origins.size()).isEqualTo(1);
    }

    @Test
    void anotherSessionsChangeTakesThePathOver() throws Exception {
        write(ME, "f", "mine");
        write(OTHER, "f", "theirs now");
        assertThat(origins.judge(ME, event(Kind.MODIFIED, "f"))).isEqualTo(Verdict.FOREIGN);
        assertThat(origins.judge(OTHER, event(Kind.MODIFIED, "f"))).isEqualTo(Verdict.OWN);
    }
    @Test
    void aDirectoryStaysTheSessionsWhileOthersOnlyChangeItsEntries() throws Exception {
        RelPath d = RelPath.parse("d");
        origins.begin(ME, d);
        Files.createDirectory(dir.resolve("d"));
        origins.changed(ME, d, backend.stat(d));
        Files.writeString(dir.resolve("d/child"), "x"); // its own event; the directory's times move
        assertThat(origins.judge(ME, event(Kind.CREATED, "d"))).isEqualTo(Verdict.OWN);
        Files.setPosixFilePermissions(dir.resolve("d"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(origins.judge(ME, event(Kind.ATTRIB, "d"))).as("someone chmod-ed it").isEqualTo(Verdict.FOREIGN);
    }
}
