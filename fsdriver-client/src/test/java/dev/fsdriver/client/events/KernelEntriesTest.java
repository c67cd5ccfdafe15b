package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import org.junit.jupiter.api.Test;

/**
 * References lent for entries answered without the server (a rename's target looked up again,
 * issue 17): only for a node the kernel holds, and the kernel's FORGETs give them back here first,
 * so that the server is never told to forget a reference it did not count.
 */
class KernelEntriesTest {
    private final KernelView view = new KernelView();
    private final KernelEntries entries = new KernelEntries(view, null);

    @Test
    void aReferenceIsLentOnlyForANodeTheKernelHoldsAndItsForgetStaysHere() {
        view.entered(1, "saved.txt", 5, FileMode.S_IFREG | 0644); // the server counted this one

        assertThat(entries.lend(5, 0)).isTrue();
        assertThat(entries.lend(6, 0)).as("not held").isFalse();
        assertThat(entries.forgotten(6, 1)).as("nothing lent for 6").isEqualTo(1);

        view.entered(1, "saved.txt", 5, FileMode.S_IFREG | 0644); // the lent one, as the kernel got it
        view.forgotten(5, 2);
        assertThat(entries.forgotten(5, 2)).as("the lent one stays here, the server's goes").isEqualTo(1);
        assertThat(entries.lend(5, 0)).as("forgotten").isFalse();
        assertThat(entries.forgotten(5, 1)).isEqualTo(1);
    }

    @Test
    void notForAnotherFileUnderTheSameId() {
        view.entered(1, "f", 7, FileMode.S_IFREG | 0644, 3);

        assertThat(entries.lend(7, 4)).isFalse();
        assertThat(entries.lend(7, 3)).isTrue();
        assertThat(entries.lend(7, 0)).isTrue();
        assertThat(entries.forgotten(7, 3)).as("two lent, one the server's").isEqualTo(1);
    }
}
