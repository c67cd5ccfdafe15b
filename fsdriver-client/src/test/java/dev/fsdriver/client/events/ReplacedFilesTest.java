package dev.fsdriver.client.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import org.junit.jupiter.api.Test;

/** Whose attributes the kernel must drop after a server-side change replaced or deleted a name. */
class ReplacedFilesTest {
    private final KernelView view = new KernelView();
    private final EventApplierTest.Kernel kernel = new EventApplierTest.Kernel();
    private final ReplacedFiles replaced = new ReplacedFiles(view, kernel);

    @Test
    void theFileTheEventReplacedIsRefreshedWhileTheKernelHoldsIt() {
        view.entered(1, "a", 10, FileMode.S_IFREG);
        view.entered(1, "b", 10, FileMode.S_IFREG);   // a hard link: its link count falls
        replaced.refresh(1, "a", 10);
        assertThat(kernel.calls).containsExactly("invalInode 10 -1");
    }

    @Test
    void aFileTheKernelLookedUpAgainBeforeTheEventCameIsRefreshedToo() {
        view.entered(1, "a", 10, FileMode.S_IFREG);
        view.entered(1, "b", 10, FileMode.S_IFREG);
        view.entered(1, "a", 20, FileMode.S_IFREG);   // "a" is another file now: 10 was displaced
        replaced.refresh(1, "a", 0);
        assertThat(kernel.calls).containsExactly("invalInode 10 -1");
        replaced.refresh(1, "a", 0);
        assertThat(kernel.calls).as("taken once").hasSize(1);
    }

    @Test
    void aNodeBothDisplacedAndReplacedIsRefreshedOnce() {
        view.entered(1, "a", 10, FileMode.S_IFREG);
        view.entered(1, "a", 20, FileMode.S_IFREG);
        replaced.refresh(1, "a", 10);
        assertThat(kernel.calls).containsExactly("invalInode 10 -1");
    }

    @Test
    void nodesTheKernelDoesNotHoldAndUnknownParentsAreLeftAlone() {
        view.entered(1, "a", 10, FileMode.S_IFREG);
        view.forgotten(10, 1);
        replaced.refresh(1, "a", 10);
        replaced.refresh(1, "x", 30);
        replaced.refresh(0, "a", 10);
        assertThat(kernel.calls).isEmpty();
    }
}
