package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The server-clock reading and the share's dir-times-move answer are read as one (ServerClock). */
class ServerClockTest {
    private static final long MOVING = 1_000;
    private static final long STILL = 2_000;

    @Test
    void readingsFollowHelloEventAndNewServer() {
        ServerClock clock = new ServerClock(MOVING, true);
        assertThat(clock.getAsLong()).isEqualTo(MOVING);
        clock.event(0);
        assertThat(clock.getAsLong()).as("an older server's event keeps the reading").isEqualTo(MOVING);
        clock.event(MOVING - 10);
        assertThat(clock.getAsLong()).as("the latest, not the highest").isEqualTo(MOVING - 10);
        clock.newServer();
        assertThat(clock.getAsLong()).isZero();
        clock.hello(STILL, false);
        clock.event(STILL + 1);
        assertThat(clock.getAsLong()).as("no dir-times-move: 0").isZero();
    }

    /**
     * Hellos alternate between a share whose times move (reading MOVING) and one whose do not
     * (STILL, never to be used): a reader must never get STILL, which the two fields written and
     * read one after the other gave (the old timesMove with the new reading). Failed before (seen:
     * STILL read within the first run of this loop). A race: it cannot prove the absence of one,
     * but the reading and the answer are now one object, so no interleaving can pair them wrongly.
     */
    @Test
    void aReadingIsNeverPairedWithAnotherHellosAnswer() throws Exception {
        ServerClock clock = new ServerClock(MOVING, true);
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            while (!stop.get()) {
                clock.hello(STILL, false);
                clock.hello(MOVING, true);
            }
        });
        writer.start();
        AtomicLong wrong = new AtomicLong();
        try {
            for (int i = 0; i < 20_000_000 && wrong.get() == 0; i++) {
                long r = clock.getAsLong();
                if (r == STILL) {
                    wrong.incrementAndGet();
                }
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertThat(wrong.get()).as("readings of a share without dir-times-move used").isZero();
    }
}
