package dev.fsdriver.cli;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.NotificationEmitter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A soft bound on a daemon's old generation, and its heap given back when it goes idle.
 *
 * <p>The heap bound ({@code -Xmx}, bin/jvm) is sized for issue 16's node budget: a million known
 * nodes. The serial collector would grow the old generation toward it under data load (1 MiB
 * blocks that outlived a young collection in flight are promoted, and it expands the old
 * generation rather than collect it) and shrink it only in a full collection, which an idle
 * daemon never reaches. So two checks, each running at most one full collection:
 * <ul>
 *   <li>soft bound: after a young collection, when the old generation holds more than
 *       {@value #SLACK_FACTOR} times what the last full collection kept plus {@link #SOFT_SLACK}
 *       (garbage promoted since: what the 128 MiB bound of a lean mount used to collect). Live
 *       data that really grew (nodes) only moves the bound up;</li>
 *   <li>idle: when no collection ran for {@value #PERIOD_SECONDS} s after one did (allocation has
 *       stopped) and the old generation has more committed than what the last full collection
 *       kept needs at {@value #IDLE_FREE_PERCENT}% free.</li>
 * </ul>
 * A full collection shrinks the heap to {@code MaxHeapFreeRatio} at once (bin/jvm/daemon.args:
 * {@code -XX:-ShrinkHeapInSteps}). The idle one runs with the free ratios lowered to
 * {@value #IDLE_FREE_PERCENT}% (manageable flags, restored right after): a busy daemon keeps
 * 10-30% free to grow into, an idle one has no use for it (a mount that has seen a million files
 * holds ~200 MiB live: ~400 MB resident after the walk, 350 MB idle; docs/benchmarks.md, "Scale").
 */
final class IdleHeap {
    private static final Logger LOG = LoggerFactory.getLogger(IdleHeap.class);
    static final long PERIOD_SECONDS = 10;
    static final double SLACK_FACTOR = 1.5;
    /**
     * Committed beyond what the last full collection kept needs at {@value #IDLE_FREE_PERCENT}%
     * free that is worth a full collection when idle, at least (a tenth of what it kept, if more:
     * a busy collection's 10% free is not worth another of the whole heap).
     */
    static final long MIN_RECLAIM = 8L << 20;
    /** Old generation growth since the last full collection that makes one, whatever the load. */
    static final long SOFT_SLACK = 64L << 20;
    /** The free share of the heap an idle collection leaves. */
    static final int IDLE_FREE_PERCENT = 2;
    private static final String MIN_FREE = "MinHeapFreeRatio";
    private static final String MAX_FREE = "MaxHeapFreeRatio";

    private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    private final MemoryPoolMXBean oldPool = oldGeneration();
    private final AtomicBoolean softPending = new AtomicBoolean();
    private long lastCount = -1;
    private boolean active;

    IdleHeap() {}

    /**
     * Starts both checks on a daemon thread of their own, after a first period (the management
     * beans take a moment to set up: not on a daemon's way to serving); nothing without an old
     * generation pool.
     */
    static void start() {
        start(PERIOD_SECONDS);
    }

    /** {@link #start()} with the checks set up after {@code setUpAfterSeconds}; returns their thread's executor. */
    static ScheduledExecutorService start(long setUpAfterSeconds) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fsdriver-heap");
            t.setDaemon(true);
            return t;
        });
        timer.schedule(() -> {
            IdleHeap heap = new IdleHeap();
            if (!heap.supported()) {
                timer.shutdown();
                return;
            }
            timer.scheduleWithFixedDelay(() -> {
                try {
                    heap.check();
                } catch (RuntimeException e) { // a task that throws is never run again
                    LOG.atWarn().setCause(e).log("idle heap check failed");
                }
            }, 0, PERIOD_SECONDS, TimeUnit.SECONDS);
            heap.listen(timer);
        }, setUpAfterSeconds, TimeUnit.SECONDS);
        return timer;
    }

    /** After each collection: over the soft bound, one full collection on {@code timer}. */
    private void listen(ScheduledExecutorService timer) {
        for (GarbageCollectorMXBean gc : collectors) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener((n, hb) -> {
                    if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())
                            && overSoftBound() && softPending.compareAndSet(false, true)) {
                        timer.execute(this::collectOverSoftBound);
                    }
                }, null, null);
            }
        }
    }

    /**
     * The serial or parallel collector (G1 and the others give memory back by themselves, and
     * G1's old pool counts humongous data blocks), with System.gc() left on.
     */
    boolean supported() {
        return oldPool != null && explicitCollectionsRun()
                && collectors.stream().allMatch(gc -> gc.getName().equals("Copy") || gc.getName().equals("MarkSweepCompact")
                        || gc.getName().startsWith("PS "));
    }

    private static boolean explicitCollectionsRun() {
        var diagnostics = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        return diagnostics == null || !"true".equals(diagnostics.getVMOption("DisableExplicitGC").getValue());
    }

    /** One idle period's look: collects, and returns true, when the daemon went idle with heap to give back. */
    boolean check() {
        long count = collections();
        boolean idleNow = count == lastCount;
        boolean wasActive = active;
        active = !idleNow;
        lastCount = count;
        if (!idleNow || !wasActive) {
            return false;
        }
        MemoryUsage now = oldPool.getUsage();
        if (worthCollecting(now.getCommitted(), keptByLastFull(), Math.max(0, now.getInit()))) {
            collectLeavingLessFree();
            return true;
        }
        return false;
    }

    /**
     * A full collection with both free ratios at {@value #IDLE_FREE_PERCENT}% for its duration
     * (the minimum first: it may never pass the maximum), then the busy ones back, maximum first.
     * Under load again the old generation grows as promotions need it (JDK 21's serial collector
     * makes the young collection that must grow it a full one, at the busy ratios).
     */
    private void collectLeavingLessFree() {
        var diagnostics = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        String busyMin = diagnostics.getVMOption(MIN_FREE).getValue();
        String busyMax = diagnostics.getVMOption(MAX_FREE).getValue();
        String idle = Integer.toString(IDLE_FREE_PERCENT);
        try {
            if (Integer.parseInt(busyMin) > IDLE_FREE_PERCENT) {
                diagnostics.setVMOption(MIN_FREE, idle);
            }
            if (Integer.parseInt(busyMax) > IDLE_FREE_PERCENT) {
                diagnostics.setVMOption(MAX_FREE, idle);
            }
        } catch (IllegalArgumentException e) { // not manageable in this JVM: the busy ratios
            LOG.atDebug().setCause(e).log("heap free ratios stay");
        }
        try {
            collect("idle");
        } finally {
            restore(diagnostics, MAX_FREE, busyMax);
            restore(diagnostics, MIN_FREE, busyMin);
        }
    }

    private static void restore(com.sun.management.HotSpotDiagnosticMXBean diagnostics, String flag, String busy) {
        try {
            if (!diagnostics.getVMOption(flag).getValue().equals(busy)) {
                diagnostics.setVMOption(flag, busy);
            }
        } catch (IllegalArgumentException e) { // changed from outside meanwhile (jcmd VM.set_flag)
            LOG.atWarn().setCause(e).addKeyValue("flag", flag).log("heap free ratio not put back");
        }
    }

    /** Whether the old generation holds more than the soft bound allows. */
    boolean overSoftBound() {
        return overSoftBound(oldPool.getUsage().getUsed(), keptByLastFull());
    }

    private void collectOverSoftBound() {
        try {
            if (overSoftBound()) {
                collect("soft bound");
            }
        } finally {
            softPending.set(false);
        }
    }

    private void collect(String why) {
        long before = oldPool.getUsage().getCommitted();
        System.gc();
        lastCount = collections();
        LOG.atDebug().addKeyValue("why", why).addKeyValue("committed_before", before)
                .addKeyValue("committed_after", oldPool.getUsage().getCommitted()).log("heap given back");
    }

    /**
     * Whether an old generation of {@code committed} bytes, whose last full collection kept
     * {@code keptByLastFull} bytes live, has enough to give back at {@value #IDLE_FREE_PERCENT}%
     * free to be worth a full collection (it never shrinks below its initial size {@code init}).
     */
    static boolean worthCollecting(long committed, long keptByLastFull, long init) {
        long needed = keptByLastFull * 100 / (100 - IDLE_FREE_PERCENT);
        return committed > Math.max(init, needed) + Math.max(MIN_RECLAIM, keptByLastFull / 10);
    }

    /** Whether {@code used} bytes of old generation are over the soft bound set by {@code keptByLastFull}. */
    static boolean overSoftBound(long used, long keptByLastFull) {
        return used > keptByLastFull * SLACK_FACTOR + SOFT_SLACK;
    }

    private long keptByLastFull() {
        MemoryUsage afterFull = oldPool.getCollectionUsage();
        return afterFull == null ? 0 : afterFull.getUsed();
    }

    private long collections() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : collectors) {
            sum += Math.max(0, gc.getCollectionCount());
        }
        return sum;
    }

    /** The serial and parallel collectors' old generation ("Tenured Gen", "PS Old Gen"), else null. */
    private static MemoryPoolMXBean oldGeneration() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            String name = pool.getName();
            if (pool.getType() == MemoryType.HEAP && (name.contains("Tenured") || name.contains("Old Gen"))
                    && pool.isCollectionUsageThresholdSupported()) {
                return pool;
            }
        }
        return null;
    }
}
