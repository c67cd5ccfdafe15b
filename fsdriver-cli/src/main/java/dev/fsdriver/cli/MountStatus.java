package dev.fsdriver.cli;

import dev.fsdriver.client.ClientCounters;
import dev.fsdriver.client.Connection;
import dev.fsdriver.client.cache.CacheStats;
import dev.fsdriver.client.events.ChangeEvents;
import dev.fsdriver.client.events.EventLag;
import dev.fsdriver.fuse.FuseMount;
import dev.fsdriver.fuse.kernel.FuseOpcode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Properties;

/** What {@code fsdriver status} shows of one mount, read from counters the mount keeps anyway. */
record MountStatus(String share, Path mountPoint, Connection connection, FuseMount mount, ChangeEvents events,
                   Duration cacheTimeout, Instant since) {
    MountStatus(String share, Path mountPoint, Connection connection, FuseMount mount, ChangeEvents events,
                Duration cacheTimeout) {
        this(share, mountPoint, connection, mount, events, cacheTimeout, Instant.now());
    }

    Properties properties() {
        Properties p = new Properties();
        p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        p.setProperty("mountpoint", mountPoint.toString());
        p.setProperty("server", connection.address());
        p.setProperty("share", share);
        p.setProperty("connection", connection.state());
        p.setProperty("events", events == null ? "off" : events.live() ? "live" : "down");
        p.setProperty("cache", events != null && events.live() ? "until an event (up to 1 h)"
                : seconds(cacheTimeout) + " s");
        p.setProperty("since", since.toString());
        long requests = 0;
        for (int op = 1; op <= FuseOpcode.max(); op++) {
            if (FuseOpcode.isKnown(op)) {
                requests += mount.requestCount(op);
            }
        }
        p.setProperty("requests", Long.toString(requests));
        ClientCounters c = connection.counters();
        long calls = 0;
        for (int i = 0; i < ClientCounters.methods().size(); i++) {
            calls += c.calls(i);
        }
        p.setProperty("server-calls", Long.toString(calls));
        p.setProperty("reconnects", Long.toString(c.reconnects()));
        StringBuilder caches = new StringBuilder();
        for (CacheStats.Cache cache : CacheStats.Cache.values()) {
            long hits = c.caches().hits(cache);
            caches.append(caches.isEmpty() ? "" : ", ").append(cache.label()).append(' ').append(hits).append('/')
                    .append(hits + c.caches().misses(cache));
        }
        p.setProperty("cache-hits", caches.toString());
        if (events != null) {
            p.setProperty("events-received", Long.toString(events.receivedCount()));
            p.setProperty("events-injected", Long.toString(events.injectedCount()));
            EventLag lag = events.lag();
            long n = lag.count();
            p.setProperty("event-lag", n == 0 ? "no event yet"
                    : String.format(Locale.ROOT, "mean %.1f ms, max %.1f ms over %d events%s",
                            lag.sumNanos() / 1e6 / n, lag.maxNanos() / 1e6, n,
                            lag.skewed() == 0 ? "" : " (" + lag.skewed() + " before the server's clock: counted as 0)"));
        }
        return p;
    }

    private static String seconds(Duration d) {
        double s = d.toNanos() / 1e9;
        return s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s);
    }
}
