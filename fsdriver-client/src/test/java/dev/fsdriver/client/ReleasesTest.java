package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** {@link Releases}: handles gathered, sent when a batch is full, on demand, with a call, and on close. */
class ReleasesTest {
    private static final long HOUR = 3_600_000; // no batch goes by the timer unless a test says so
    private final List<long[]> sent = new CopyOnWriteArrayList<>();

    @Test
    void aFullBatchGoesAtOnceAndTheRestOnDemand() {
        try (Releases r = new Releases(sent::add, HOUR)) {
            for (long h = 1; h <= Releases.BATCH + 3; h++) {
                r.release(h);
            }
            // returns once the full batch has been started (on the timer's thread)
            assertThat(r.takeForCall()).containsExactly(Releases.BATCH + 1, Releases.BATCH + 2, Releases.BATCH + 3);
            assertThat(sent).hasSize(1);
            assertThat(sent.get(0)).hasSize(Releases.BATCH).startsWith(1, 2, 3);
            assertThat(r.waiting()).as("taken for a call").isZero();
            r.release(1000);
            r.sendNow();
            assertThat(sent).hasSize(2);
            assertThat(sent.get(1)).containsExactly(1000);
            r.sendNow();
            assertThat(sent).as("nothing waiting: no call").hasSize(2);
        }
    }

    @Test
    void whatWaitsGoesAtClose() {
        Releases r = new Releases(sent::add, HOUR);
        r.release(7);
        r.close();
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0)).containsExactly(7);
    }

    @Test
    void aSendThatThrowsLosesOnlyThatBatch() {
        boolean[] fail = {true};
        try (Releases r = new Releases(h -> {
            if (fail[0]) {
                throw new IllegalStateException("channel shut down");
            }
            sent.add(h);
        }, HOUR)) {
            r.release(1);
            r.sendNow();
            fail[0] = false;
            r.release(2);
            r.sendNow();
            assertThat(sent).hasSize(1);
            assertThat(sent.get(0)).containsExactly(2);
        }
    }

    @Test
    void aCloseAfterTheMountEndedGoesAtOnce() {
        Releases r = new Releases(sent::add, HOUR);
        r.close();
        r.release(9);
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0)).containsExactly(9);
    }

    @Test
    void sendNowReturnsOnlyOnceABatchTakenByAnotherThreadHasStarted() throws Exception {
        CountDownLatch inSend = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        try (Releases r = new Releases(h -> {
            if (h[0] == 1) {
                inSend.countDown();
                try {
                    letGo.await(); // a start that waits (a reconnect's Hello)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            sent.add(h);
        }, HOUR)) {
            r.release(1);
            Thread timer = new Thread(r::sendNow);
            timer.start();
            inSend.await();
            Thread caller = new Thread(r::sendNow); // an unlink's sendNow, nothing left to take
            caller.start();
            caller.join(200);
            assertThat(caller.isAlive()).as("waits for the batch being started").isTrue();
            letGo.countDown();
            caller.join();
            timer.join();
            assertThat(sent).hasSize(1);
        }
    }

    @Test
    void aFullBatchQueuedBehindATimerWaitingForAHelloStillGoes() {
        CountDownLatch inSend = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        try (Releases r = new Releases(h -> {
            if (h[0] == 1) {
                inSend.countDown();
                try {
                    letGo.await(); // the timer's start waits (a reconnect's Hello)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            sent.add(h);
        }, 1)) {
            r.release(1);
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> inSend.await());
            for (long h = 2; h <= Releases.BATCH + 1; h++) {
                r.release(h); // the last one fills a batch: queued on the timer, behind the waiting start
            }
            letGo.countDown();
            // before: the timer's task waited for every batch started, the queued one included: forever
            long[] rest = assertTimeoutPreemptively(Duration.ofSeconds(30), r::takeForCall);
            assertThat(rest).isEmpty();
            assertThat(sent).hasSize(2);
            assertThat(sent.get(1)).hasSize(Releases.BATCH);
        }
    }
}
