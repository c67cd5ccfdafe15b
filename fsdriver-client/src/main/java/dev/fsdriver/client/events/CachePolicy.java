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

    private volatile Runnable onChange = () -> { };

    public void setLive(boolean live) {
        boolean was = this.live;
        this.live = live;
        if (was != live) {
            onChange.run();
        }
    }

    /** Called at every change between live and not (what was known while live may be stale). */
    void onChange(Runnable r) {
        this.onChange = r;
    }
}
