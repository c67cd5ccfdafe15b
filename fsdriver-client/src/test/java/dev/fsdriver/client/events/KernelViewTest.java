package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import org.junit.jupiter.api.Test;

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
}
