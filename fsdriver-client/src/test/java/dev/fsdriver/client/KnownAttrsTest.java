package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.FileMode;
import dev.fsdriver.proto.v1.Attr;
import org.junit.jupiter.api.Test;

/** What is kept of a node is of one file: (node id, generation). */
class KnownAttrsTest {
    private final KnownAttrs attrs = new KnownAttrs();

    KnownAttrsTest() {
        attrs.enableWhile(() -> true);
    }

    private static Attr file(long ino, long generation, long size) {
        return Attr.newBuilder().setIno(ino).setGeneration(generation).setMode(FileMode.S_IFREG | 0644)
                .setSize(size).setCtimeNs(1_000).build();
    }

    /**
     * Issue 9: a file deleted and another made with its inode number (the node id) and the same
     * ctime (coarse file times): only the generation tells them apart. What was kept of the old
     * one must not answer for the new one. Failed before the generation was compared: the old
     * file's size answered.
     */
    @Test
    void anEntryOfAnotherGenerationUnderTheIdDropsWhatWasKept() {
        attrs.answered(70, file(70, 1111, 5), attrs.epoch());
        assertThat(attrs.get(70).getSize()).isEqualTo(5);

        attrs.entered(70, file(70, 1111, 5));
        assertThat(attrs.get(70)).as("the same file named again: kept").isNotNull();

        attrs.entered(70, file(70, 2222, 9));
        assertThat(attrs.get(70)).as("another file under the id").isNull();
    }
}
