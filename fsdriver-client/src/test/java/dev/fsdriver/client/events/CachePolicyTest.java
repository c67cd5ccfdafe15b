package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CachePolicyTest {
    private long now = 1_000;
    private final CachePolicy policy = new CachePolicy(3_600, 1, () -> now);

    @Test
    void nothingIsCachedWhileAStormIsOn() {
        policy.setLive(true);
        assertThat(policy.cacheable()).isTrue();
        assertThat(policy.timeoutNs()).isEqualTo(3_600);
        policy.stormBegins("a/b");
        assertThat(policy.cacheable()).isFalse();
        assertThat(policy.live()).as("the stream itself is up").isTrue();
        assertThat(policy.timeoutNs()).isEqualTo(1);
        policy.stormEnds("a/b");
        assertThat(policy.cacheable()).isTrue();
    }

    @Test
    void aWiderStormReplacesTheOnesUnderIt() {
        policy.setLive(true);
        policy.stormBegins("a/b");
        policy.stormBegins("c");
        policy.stormBegins("a"); // the server sends no end for a/b now
        policy.stormEnds("c");
        assertThat(policy.cacheable()).isFalse();
        policy.stormEnds("a");
        assertThat(policy.cacheable()).isTrue();
    }

    @Test
    void aStormWhoseEndNeverCameIsGivenUpOn() {
        policy.setLive(true);
        policy.stormBegins("");
        now += CachePolicy.STORM_LIMIT_NANOS - 1;
        assertThat(policy.cacheable()).isFalse();
        now += 1;
        assertThat(policy.cacheable()).isTrue();
    }

    @Test
    void nothingIsCachedWhileTheApplierLagsBehindTheEventsReceived() {
        policy.setLive(true);
        policy.received(3); // a file saved: applied at once, caching goes on
        assertThat(policy.cacheable()).isTrue();
        policy.received(CachePolicy.BACKLOG_LIMIT);
        assertThat(policy.cacheable()).as("a burst waiting to be applied").isFalse();
        assertThat(policy.live()).isTrue();
        assertThat(policy.timeoutNs()).isEqualTo(1);
        for (int i = 0; i < 3; i++) {
            policy.applied();
        }
        assertThat(policy.backlog()).isEqualTo(CachePolicy.BACKLOG_LIMIT);
        assertThat(policy.cacheable()).isTrue();
        assertThat(policy.timeoutNs()).isEqualTo(3_600);
    }

    @Test
    void aStreamThatIsDownCachesNothingStormOrNot() {
        assertThat(policy.cacheable()).isFalse();
        policy.stormBegins("x");
        policy.stormEnds("x");
        assertThat(policy.cacheable()).isFalse();
    }
}
