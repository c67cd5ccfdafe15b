package dev.fsdriver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The heap checks, in a JVM with the daemons' collector options and a large bound (a child process). */
class IdleHeapTest {

    @Test
    void anIdleDaemonGivesPromotedGarbageBackOnceAndNotAgain() throws Exception {
        String[] f = child("idle");
        // busy, idle with garbage, idle and lean: collect only in the second
        assertEquals("false", f[0]);
        assertEquals("true", f[1]);
        assertEquals("false", f[2]);
        long before = Long.parseLong(f[3]);
        long after = Long.parseLong(f[4]);
        assertTrue(before > 64L << 20, "promoted data did not grow the old generation: " + before);
        assertTrue(after < before / 3, "the old generation was not given back: " + before + " -> " + after);
    }

    /**
     * Live data the busy ratio (30% free) sized the heap for: the idle collection leaves 2% free,
     * and puts the busy ratios back.
     */
    @Test
    void anIdleDaemonKeepsLessFreeHeapThanABusyOne() throws Exception {
        String[] f = child("live");
        long live = Long.parseLong(f[0]);
        long busy = Long.parseLong(f[1]);
        long idle = Long.parseLong(f[2]);
        assertEquals("true", f[3]);
        assertEquals("30", f[4], "the busy maximum ratio was not put back");
        assertEquals("10", f[6], "the busy minimum ratio was not put back");
        assertTrue(busy > live * 100 / 75, "the busy collection left less than 25% free: " + live + " of " + busy);
        assertTrue(idle < live * 100 / 95, "the idle collection left more than 5% free: " + live + " of " + idle);
    }

    @Test
    void promotedGarbageBeyondTheSoftBoundIsCollectedUnderLoad() throws Exception {
        String[] f = child("soft");
        // the old generation's peak while promoting 192 MiB of garbage, heap bound 448 MiB
        long peak = Long.parseLong(f[0]);
        long fullCollections = Long.parseLong(f[1]);
        assertTrue(fullCollections >= 1, "no full collection ran: " + String.join(" ", f));
        assertTrue(peak < 160L << 20, "the old generation grew past the soft bound: " + peak);
    }

    @Test
    void onlyAnOldGenerationWellAboveWhatTheLastFullCollectionKeptIsWorthCollecting() {
        assertFalse(IdleHeap.worthCollecting(18L << 20, 10L << 20, 0));
        assertTrue(IdleHeap.worthCollecting(40L << 20, 10L << 20, 0));
        // a million nodes' live heap left 16% free by a busy heap: worth 2%; then not again
        assertTrue(IdleHeap.worthCollecting(326L << 20, 274L << 20, 0));
        assertFalse(IdleHeap.worthCollecting(285L << 20, 274L << 20, 0));
        // at a busy collection's 10% free (JDK 21 makes one when load grows the old generation): not again
        assertFalse(IdleHeap.worthCollecting(305L << 20, 274L << 20, 0));
        assertFalse(IdleHeap.worthCollecting(7L << 20, 0, 0));
        assertFalse(IdleHeap.worthCollecting(18L << 20, 0, 12L << 20)); // at its initial size: nothing to give
        assertTrue(IdleHeap.worthCollecting(24L << 20, 0, 12L << 20));
        assertFalse(IdleHeap.overSoftBound(60L << 20, 0));
        assertTrue(IdleHeap.overSoftBound(70L << 20, 0));
        assertFalse(IdleHeap.overSoftBound(200L << 20, 100L << 20)); // live data grew: the bound with it
    }

    private static String[] child(String mode) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-XX:+UseSerialGC", "-Xms8m", "-Xmn4m",
                "-Xmx448m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:-ShrinkHeapInSteps", "-XX:MarkSweepDeadRatio=0",
                "-cp", System.getProperty("java.class.path"), Child.class.getName(), mode);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1].split(" ");
    }

    /** Promotes 1 MiB blocks (as data in flight is), then looks. */
    public static final class Child {
        static volatile Object sink;

        public static void main(String[] args) throws Exception {
            if (args[0].equals("idle")) {
                idle();
            } else if (args[0].equals("live")) {
                live();
            } else {
                soft();
            }
        }

        private static void idle() {
            IdleHeap idle = new IdleHeap();
            if (!idle.supported()) {
                throw new AssertionError("no old generation pool");
            }
            MemoryPoolMXBean old = old(); // looked up before: no allocation between the checks
            promote(80);
            boolean busy = idle.check();
            long before = old.getUsage().getCommitted();
            boolean idleWithGarbage = idle.check();
            long after = old.getUsage().getCommitted();
            boolean idleAndLean = idle.check();
            System.out.println(busy + " " + idleWithGarbage + " " + idleAndLean + " " + before + " " + after);
        }

        private static void live() {
            IdleHeap idle = new IdleHeap();
            MemoryPoolMXBean old = old();
            List<byte[]> kept = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                kept.add(new byte[1 << 20]);
            }
            List<byte[]> passing = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                passing.add(new byte[1 << 20]);
            }
            passing.clear();
            System.gc(); // a busy full collection of a heap grown past the live data: 30% free
            long live = old.getUsage().getUsed();
            long busy = old.getUsage().getCommitted();
            idle.check();
            boolean collected = idle.check();
            long afterIdle = old.getUsage().getCommitted();
            var diagnostics = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            System.out.println(live + " " + busy + " " + afterIdle + " " + collected + " "
                    + diagnostics.getVMOption("MaxHeapFreeRatio").getValue() + " " + kept.size() + " "
                    + diagnostics.getVMOption("MinHeapFreeRatio").getValue());
        }

        private static void soft() throws Exception {
            IdleHeap.start(0).submit(() -> { }).get(); // after the set-up, on the checks' thread
            MemoryPoolMXBean old = old();
            long peak = 0;
            for (int round = 0; round < 12; round++) {
                promote(16);
                Thread.sleep(50); // the listener's collection runs on the checks' thread
                peak = Math.max(peak, old.getUsage().getUsed());
            }
            long full = ManagementFactory.getGarbageCollectorMXBeans().stream()
                    .filter(gc -> gc.getName().contains("MarkSweep")).mapToLong(gc -> gc.getCollectionCount()).sum();
            System.out.println(peak + " " + full);
        }

        /** {@code blocks} MiB held across young collections, then dropped. */
        private static void promote(int blocks) {
            List<byte[]> held = new ArrayList<>();
            for (int i = 0; i < blocks; i++) {
                held.add(new byte[1 << 20]);
                for (int j = 0; j < 8; j++) {
                    sink = new byte[256 << 10];   // young collections that promote the held blocks
                }
            }
            held.clear();
            sink = null;
        }

        private static MemoryPoolMXBean old() {
            return ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(pool -> pool.getName().contains("Tenured")).findFirst().orElseThrow();
        }
    }
}
