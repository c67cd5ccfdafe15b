package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.backend.Change;
import dev.fsdriver.backend.windows.WatchLoop.Completion;
import dev.fsdriver.backend.windows.win32.WindowsException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * B6: the watcher loop's decisions against a scripted fake of the native side. One log holds the
 * port's calls and the changes in the order they happened.
 */
class WatchLoopTest {
    private static final int ABORTED = WinErrors.ERROR_OPERATION_ABORTED;
    private final List<String> log = new ArrayList<>();
    private final List<Long> sleeps = new ArrayList<>();
    private final FakePort port = new FakePort();
    private final ChangeTranslator translator = new ChangeTranslator(c -> log.add(describe(c)), p -> false);
    private final WatchLoop loop = new WatchLoop(port, translator, "share", (millis, closeRequested) -> sleeps.add(millis));

    private static String describe(Change c) {
        return c.kind() + " " + c.path() + (c.newPath() == null ? "" : " -> " + c.newPath());
    }

    /** Scripted completions; once they run out the test "closes" the watcher. */
    private final class FakePort implements WatchLoop.Port {
        final Deque<Object> completions = new ArrayDeque<>(); // Completion, or a ByteBuffer of data
        final Deque<WindowsException> armFailures = new ArrayDeque<>(); // null: the post succeeds
        final Deque<Boolean> rootThere = new ArrayDeque<>();
        ByteBuffer current;
        int posted;
        int completedReads;

        @Override
        public boolean arm() throws WindowsException {
            WindowsException f = armFailures.poll();
            if (f != null) {
                log.add("arm failed");
                throw f;
            }
            log.add("arm");
            posted++;
            return false;
        }

        @Override
        public Completion await(int millis) {
            assertThat(posted).as("await with a read pending").isGreaterThan(completedReads);
            Object next = completions.poll();
            if (next == null) {
                log.add("end");
                loop.requestClose();
                next = new Completion(ABORTED, 0);
            }
            if (next instanceof ByteBuffer data) {
                current = data;
                next = new Completion(0, data.capacity());
            }
            Completion c = (Completion) next;
            if (!c.timedOut()) {
                completedReads++;
            }
            return c;
        }

        @Override
        public ByteBuffer copy(int bytes) {
            log.add("copy");
            ByteBuffer copy = ByteBuffer.allocate(bytes).put(current.duplicate().position(0).limit(bytes)).flip();
            current.put(0, new byte[current.capacity()]); // the kernel may overwrite the buffer from now on
            return copy;
        }

        @Override
        public void cancel() {
            log.add("cancel");
        }

        @Override
        public boolean rootStillThere() {
            Boolean b = rootThere.poll();
            return b == null || b;
        }
    }

    private static ByteBuffer records(Object... actionNamePairs) {
        return NotifyBufferParserTest.basicBuffer(actionNamePairs).buffer();
    }

    private void runToEnd() throws WindowsException {
        loop.start();
        loop.run();
        assertThat(port.completedReads).as("no read left pending").isEqualTo(port.posted);
    }

    @Test
    void theBufferIsCopiedAndTheNextReadPostedBeforeTheRecordsAreTranslated() throws Exception {
        port.completions.add(records(1, "a"));
        runToEnd();
        assertThat(log).containsSubsequence("arm", "copy", "arm", "CREATED a");
        assertThat(log.indexOf("CREATED a")).isGreaterThan(log.lastIndexOf("arm"));
    }

    @Test
    void anAbortedReadThatCloseDidNotCauseIsLoggedAndPostedAgain() throws Exception {
        // I/O is cancelled when the thread that posted it exits; before, the watcher stopped here.
        port.completions.add(new Completion(ABORTED, 0));
        port.completions.add(records(1, "after"));
        runToEnd();
        assertThat(log).containsSubsequence("arm", "arm", "OVERFLOW ", "copy", "arm", "CREATED after");
        assertThat(sleeps).containsExactly(WatchLoop.BACKOFF_MIN_MS);
    }

    @Test
    void overflowPostsTheNextReadBeforeTellingTheClientToRescan() throws Exception {
        port.completions.add(new Completion(WinErrors.ERROR_NOTIFY_ENUM_DIR, 0));
        port.completions.add(new Completion(0, 0)); // Windows 11: success with zero bytes
        runToEnd();
        assertThat(log).containsExactly("arm", "arm", "OVERFLOW ", "arm", "OVERFLOW ", "end", "cancel");
        assertThat(sleeps).isEmpty();
    }

    @Test
    void failuresBackOffFrom50MsDoublingTo5sAndAReadWithDataResetsIt() throws Exception {
        loop.start();
        port.completions.add(new Completion(WinErrors.ERROR_ACCESS_DENIED, 0));
        for (int i = 0; i < 9; i++) {
            port.armFailures.add(new WindowsException(WinErrors.ERROR_ACCESS_DENIED));
        }
        port.completions.add(records(1, "x"));
        port.completions.add(new Completion(WinErrors.ERROR_ACCESS_DENIED, 0));
        loop.run();
        assertThat(port.completedReads).isEqualTo(port.posted);
        assertThat(sleeps).containsExactly(50L, 100L, 200L, 400L, 800L, 1600L, 3200L, 5000L, 5000L, 5000L, 50L);
        // one OVERFLOW once posted again after each outage (events in between are unknown)
        assertThat(log.stream().filter(s -> s.startsWith("OVERFLOW")).count()).isEqualTo(2);
        assertThat(log).containsSubsequence("arm failed", "arm", "OVERFLOW ", "copy", "arm", "CREATED x");
    }

    @Test
    void aFailureWithTheRootGoneReportsItsDeletionAndStopsWithNoReadPending() throws Exception {
        port.completions.add(new Completion(WinErrors.ERROR_ACCESS_DENIED, 0));
        port.rootThere.add(false);
        runToEnd();
        assertThat(log).containsExactly("arm", "DELETED ");
        assertThat(sleeps).isEmpty();
    }

    @Test
    void anIdleTimeoutWithTheRootGoneCancelsTheReadAndWaitsForIt() throws Exception {
        port.completions.add(new Completion(WinErrors.ERROR_WAIT_TIMEOUT, 0));
        port.rootThere.add(false);
        runToEnd();
        assertThat(log).containsExactly("arm", "DELETED ", "cancel", "end", "cancel");
    }

    @Test
    void anIdleTimeoutTurnsAnUnpairedOldNameIntoADelete() throws Exception {
        port.completions.add(records(4, "old"));
        port.completions.add(new Completion(WinErrors.ERROR_WAIT_TIMEOUT, 0));
        runToEnd();
        assertThat(log).containsSubsequence("copy", "arm", "DELETED old");
    }

    @Test
    void closeCancelsAgainWhenItsCancelCameBeforeTheReadWasPosted() throws Exception {
        loop.start();
        loop.requestClose(); // found nothing to cancel in the real race; here the read stays pending
        port.completions.add(new Completion(WinErrors.ERROR_WAIT_TIMEOUT, 0));
        port.completions.add(new Completion(ABORTED, 0));
        loop.run();
        assertThat(log).containsExactly("arm", "cancel", "cancel");
        assertThat(port.completedReads).isEqualTo(port.posted);
    }

    @Test
    void noReadIsPostedOnceClosing() throws Exception {
        loop.start();
        port.completions.add(records(1, "late"));
        loop.requestClose();
        loop.run();
        assertThat(log).containsExactly("arm", "cancel");
        assertThat(port.completedReads).isEqualTo(port.posted);
    }

    @Test
    void theFirstReadFailingIsTheCallersError() {
        port.armFailures.add(new WindowsException(WinErrors.ERROR_ACCESS_DENIED));
        org.assertj.core.api.Assertions.assertThatThrownBy(loop::start).isInstanceOf(WindowsException.class);
        assertThat(port.posted).isZero();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS) // the wait below is an hour: only a prompt close ends it
    void closeEndsABackoffWaitAtOnce() throws Exception {
        // Before, the backoff was a plain sleep of up to 5 s that close had to wait out.
        CountDownLatch waiting = new CountDownLatch(1);
        WatchLoop.Pause anHour = (millis, closeRequested) -> {
            waiting.countDown();
            WatchLoop.UNTIL_CLOSE.pause(TimeUnit.HOURS.toMillis(1), closeRequested);
        };
        WatchLoop slow = new WatchLoop(port, translator, "share", anHour);
        port.completions.add(new Completion(WinErrors.ERROR_ACCESS_DENIED, 0));
        slow.start();
        Thread watcher = Thread.ofPlatform().daemon().start(slow::run);
        waiting.await();
        slow.requestClose();
        watcher.join();
        assertThat(log).containsExactly("arm", "cancel");
        assertThat(port.completedReads).isEqualTo(port.posted);
    }
}
