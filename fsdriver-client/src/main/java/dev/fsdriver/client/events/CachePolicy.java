package dev.fsdriver.client.events;

/**
 * How long the kernel may cache entries and attributes. Long while the server's change stream
 * is live (every change arrives as an invalidation), short while it is not (after a break,
 * until the client has resynchronised), as DESIGN.md section 4 asks.
 */
public final class CachePolicy {
    private final long liveTimeoutNs;
    private final long fallbackTimeoutNs;
    private volatile boolean live;

    public CachePolicy(long liveTimeoutNs, long fallbackTimeoutNs) {
        this.liveTimeoutNs = liveTimeoutNs;
        this.fallbackTimeoutNs = fallbackTimeoutNs;
    }

    public long timeoutNs() {
        return live ? liveTimeoutNs : fallbackTimeoutNs;
    }

    public boolean live() {
        return live;
    }

    public void setLive(boolean live) {
        this.live = live;
    }
}
