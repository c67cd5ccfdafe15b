package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EchoFilterTest {
    @Test
    void ownChangeIsAnEchoWithinTheWindowOnly() {
        AtomicLong now = new AtomicLong(1_000);
        EchoFilter f = new EchoFilter(100, now::get);
        f.mark("a/b");
        f.mark(null);
        assertThat(f.isEcho("a/b")).isTrue();
        assertThat(f.isEcho("a/c")).isFalse();
        now.addAndGet(100);
        assertThat(f.isEcho("a/b")).isTrue();
        now.addAndGet(1);
        assertThat(f.isEcho("a/b")).isFalse();
        f.mark("a/b");
        assertThat(f.isEcho("a/b")).as("a new mark opens a new window").isTrue();
    }
}
