package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import java.util.concurrent.BrokenBarrierException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KernelViewTest {
    private static final int DIR = FileMode.S_IFDIR | 0755;
    private static final int FILE = FileMode.S_IFREG | 0644;

    @Test
    void resolvesPathsThroughHeldEntriesOnly() {
        KernelView v = new KernelView();
        v.entered(1, "a", 10, DIR);
        v.entered(10, "b", 11, DIR);
        v.entered(11, "f", 12, FILE);
        assertThat(v.resolve("")).isEqualTo(1);
        assertThat(v.resolve("a/b/f")).isEqualTo(12);
        assertThat(v.resolve("a/x/f")).isZero();
        assertThat(v.pathOf(12)).isEqualTo("a/b/f");
        assertThat(v.held(11)).isTrue();
        assertThat(FileMode.isDirectory(v.mode(11))).isTrue();
    }

    @Test
    void tellsOfADirectoryWhenTheKernelFirstHoldsIt() {
        KernelView v = new KernelView();
        List<Long> held = new ArrayList<>();
        v.onDirectoryHeld(held::add);
        v.entered(1, "d", 10, DIR);
        v.entered(1, "d", 10, DIR); // a second reference
        v.entered(10, "f", 11, FILE);
        assertThat(held).containsExactly(10L);
        v.forgotten(10, 2);
        v.entered(1, "d", 10, DIR); // held again after the kernel let go
        assertThat(held).containsExactly(10L, 10L);
    }

    /**
     * A lookup that holds a directory again races the FORGET of its previous hold: whichever
     * comes first, the kernel ends with one reference and the entry must stay known. Before, the
     * entry was put before the count and the FORGET removed it after taking the node out of the
     * map, so the FORGET could remove the new hold's entry (seen: held with no entry, within the
     * first few thousand rounds). A race test bounded by rounds, not by time.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a lost partner: a barrier times out first
    void aForgetOfThePreviousHoldNeverTakesTheNewEntryAway() throws Exception {
        KernelView v = new KernelView();
        CyclicBarrier both = new CyclicBarrier(2);
        int rounds = 50_000;
        AtomicBoolean stop = new AtomicBoolean();
        Thread forgetter = new Thread(() -> {
            try {
                while (true) {
                    both.await(10, TimeUnit.SECONDS);
                    if (stop.get()) {
                        return;
                    }
                    v.forgotten(10, 1);
                    both.await(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (BrokenBarrierException | TimeoutException e) {
                // the test thread failed or gave up: it reports that
            }
        });
        forgetter.start();
        int lost = 0;
        try {
            for (int i = 0; i < rounds && lost == 0; i++) {
                v.entered(1, "d", 10, DIR); // the previous hold
                both.await(10, TimeUnit.SECONDS);
                v.entered(1, "d", 10, DIR); // the new one, while the previous is forgotten
                both.await(10, TimeUnit.SECONDS);
                if (v.lookups(10) != 1 || v.child(1, "d") != 10) {
                    lost++;
                }
                v.forgotten(10, v.lookups(10));
            }
            stop.set(true);
            both.await(10, TimeUnit.SECONDS);
        } finally {
            stop.set(true);
            both.reset(); // a forgetter still waiting (the loop failed) is released
            forgetter.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertThat(forgetter.isAlive()).as("the forgetter ended").isFalse();
        assertThat(lost).as("rounds that ended held without the entry").isZero();
    }

    @Test
    void forgetDropsANodeOnlyWhenAllReferencesAreGone() {
        KernelView v = new KernelView();
        v.entered(1, "f", 5, FILE);
        v.entered(1, "f", 5, FILE);
        v.forgotten(5, 1);
        assertThat(v.held(5)).isTrue();
        assertThat(v.resolve("f")).isEqualTo(5);
        v.forgotten(5, 1);
        assertThat(v.held(5)).isFalse();
        assertThat(v.resolve("f")).isZero();
        v.forgotten(1, 100);
        assertThat(v.held(1)).as("the root is never forgotten").isTrue();
    }

    /**
     * Issue 9: entries carry the file's generation; the kernel makes a new inode for an id given
     * with another one (a reused inode number) and the old inode bad. Entries answered here use the
     * one the kernel holds; 0 (not known) on either side keeps the kernel's.
     */
    @Test
    void theKernelsGenerationOfANodeIsKeptWhereOneSideDoesNotKnowIt() {
        KernelView v = new KernelView();
        v.entered(1, "f", 5, FILE, 1111);
        assertThat(v.generation(5)).isEqualTo(1111);
        assertThat(v.generationFor(5, 1111)).isEqualTo(1111);
        assertThat(v.generationFor(5, 2222)).as("another file under the id").isEqualTo(2222);
        assertThat(v.generationFor(5, 0)).as("the server does not say").isEqualTo(1111);
        assertThat(v.generationFor(6, 3333)).as("a node the kernel does not hold").isEqualTo(3333);

        v.entered(1, "g", 7, FILE, 0); // from a server before generations
        assertThat(v.generationFor(7, 4444)).isZero();

        v.entered(1, "f", 5, FILE, 2222);
        assertThat(v.generation(5)).as("the kernel's inode of the id now").isEqualTo(2222);
        v.forgotten(5, 2);
        assertThat(v.generationFor(5, 3333)).isEqualTo(3333);
    }

    @Test
    void renameMovesTheEntryAndKeepsTheSubtreeReachable() {
        KernelView v = new KernelView();
        v.entered(1, "a", 10, DIR);
        v.entered(1, "b", 20, DIR);
        v.entered(10, "d", 11, DIR);
        v.entered(11, "f", 12, FILE);
        v.renamed(10, "d", 20, "e");
        assertThat(v.resolve("a/d/f")).isZero();
        assertThat(v.resolve("b/e/f")).isEqualTo(12);
        assertThat(v.pathOf(12)).isEqualTo("b/e/f");
        v.removed(20, "e");
        assertThat(v.resolve("b/e")).isZero();
        assertThat(v.children(1)).containsOnlyKeys("a", "b");
    }

    @Test
    void keepsTheNodesAnEntryOfAnotherNodeReplacedUntilTaken() {
        KernelView v = new KernelView();
        v.entered(1, "a", 10, FILE);
        v.entered(1, "a", 10, FILE); // the same node again: nothing replaced
        assertThat(v.takeDisplaced(1, "a")).isEmpty();
        v.entered(1, "a", 11, FILE); // looked up after the name changed on the server
        v.entered(1, "a", 12, FILE);
        assertThat(v.takeDisplaced(1, "b")).isEmpty();
        assertThat(v.takeDisplaced(1, "a")).containsExactlyInAnyOrder(10L, 11L);
        assertThat(v.takeDisplaced(1, "a")).as("taken once").isEmpty();
    }
}
