package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ChildNamesTest {
    @Test
    void keepsRemovesAndReplacesNames() {
        ChildNames<Long> names = new ChildNames<>();
        assertThat(names.put("a", 1L)).isNull();
        assertThat(names.put("a", 2L)).isEqualTo(1L);
        names.put("b", 3L);
        names.removeIf("b", v -> v == 4L); // another node there: kept
        assertThat(names.get("b")).isEqualTo(3L);
        names.removeIf("b", v -> v == 3L);
        assertThat(names.get("b")).isNull();
        assertThat(names.remove("a")).isEqualTo(2L);
        assertThat(names.size()).isZero();
    }

    @Test
    void givesEachEntryOutsideItsLock() {
        ChildNames<Long> names = new ChildNames<>();
        for (long i = 0; i < 100; i++) {
            names.put("f" + i, i);
        }
        Map<String, Long> seen = new HashMap<>();
        names.forEach((name, node) -> {
            seen.put(name, node);
            // as a kernel notification's wait for a request that changes the directory: another
            // thread must get the lock while an entry is being given
            try {
                CompletableFuture.runAsync(() -> names.put("new-" + name, -node)).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("another thread could not change the directory while an entry was given", e);
            }
        });
        assertThat(seen).hasSize(100).containsEntry("f7", 7L);
        assertThat(names.size()).isEqualTo(200);
    }

    @Test
    void aBigDirectoryItsNamesForgottenGivesItsArraysBack() {
        ChildNames<Long> names = new ChildNames<>();
        for (long i = 0; i < 100_000; i++) {
            names.put("f" + i, i);
        }
        int full = names.slots();
        for (long i = 0; i < 99_000; i++) {
            names.remove("f" + i);
        }
        assertThat(names.slots()).isLessThan(full / 8);
        assertThat(names.size()).isEqualTo(1_000);
        for (long i = 99_000; i < 100_000; i++) {
            assertThat(names.get("f" + i)).isEqualTo(i);
        }
        names.put("again", 5L);
        assertThat(names.get("again")).isEqualTo(5L);
    }

    @Test
    void namesForgottenOneByOneThroughTheirNodesShrinkItToo() {
        ChildNames<Long> names = new ChildNames<>();
        for (long i = 0; i < 10_000; i++) {
            names.put("f" + i, i);
        }
        int full = names.slots();
        for (long i = 0; i < 9_900; i++) {
            long node = i;
            names.removeIf("f" + i, v -> v == node);
        }
        assertThat(names.slots()).isLessThan(full / 8);
        assertThat(names.get("f9950")).isEqualTo(9950L);
        assertThat(names.get("f10")).isNull();
    }
}
