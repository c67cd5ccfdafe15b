package dev.fsdriver.client.cache;

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

    private static Attr dir(long ctime, int nlink) {
        return Attr.newBuilder().setIno(5).setMode(FileMode.S_IFDIR | 0755).setNlink(nlink)
                .setMtimeNs(ctime).setCtimeNs(ctime).build();
    }

    /**
     * Two changes of one directory in flight at once (two rmdirs in it): their replies may come
     * back in another order than the server made them. The newest ctime is the directory now.
     */
    @Test
    void ofTwoRepliesAboutADirectoryTheNewerOneStaysInWhateverOrderTheyCome() {
        long first = attrs.epoch();
        long second = attrs.epoch();
        attrs.dirChanged(5, dir(2_000, 3), second);
        attrs.dirChanged(5, dir(1_000, 4), first);
        assertThat(attrs.get(5).getNlink()).isEqualTo(3);

        attrs.dirChanged(5, dir(3_000, 2), first);
        assertThat(attrs.get(5).getNlink()).as("made later, sent earlier").isEqualTo(2);
    }

    /**
     * Coarse file times: two different answers with the same ctime, to calls in flight together,
     * cannot be ordered, so neither is kept.
     */
    @Test
    void twoDifferentRepliesWithTheSameCtimeToCallsInFlightTogetherDropTheDirectory() {
        long first = attrs.epoch();
        long second = attrs.epoch();
        long third = attrs.epoch();
        attrs.dirChanged(5, dir(1_000, 3), first);
        attrs.dirChanged(5, dir(1_000, 3).toBuilder().setAtimeNs(77).build(), second);
        assertThat(attrs.get(5)).as("only the atime differs: the same directory").isNotNull();

        attrs.dirChanged(5, dir(1_000, 4), third);
        assertThat(attrs.get(5)).isNull();
    }

    /**
     * rm -rf on tmpfs (or NTFS): one unlink after another within one tick of the file system's
     * clock, each reply the directory with the same ctime and another size. A call sent once the
     * answer before it was back was made by the server after it: its answer is the directory now.
     * Failed before: every second answer dropped the directory, and the kernel's next permission
     * check cost a GetAttr (0.86 per unlink on tmpfs).
     */
    @Test
    void aReplyToACallSentAfterTheLastAnswerReplacesItWhateverItsTimes() {
        attrs.dirChanged(5, dir(1_000, 3).toBuilder().setSize(80).build(), attrs.epoch());
        attrs.dirChanged(5, dir(1_000, 3).toBuilder().setSize(60).build(), attrs.epoch());
        assertThat(attrs.get(5).getSize()).isEqualTo(60);

        long inFlight = attrs.epoch();
        attrs.dirChanged(5, dir(1_000, 3).toBuilder().setSize(40).build(), attrs.epoch());
        attrs.dirChanged(5, dir(900, 3).toBuilder().setSize(60).build(), inFlight);
        assertThat(attrs.get(5).getSize()).as("an older ctime sent before the last answer came back").isEqualTo(40);
    }

    /** A change whose reply brought no attributes (an older server, a failure) drops them, and answers sent before it stay out. */
    @Test
    void aChangeWithoutAttributesDropsTheDirectoryAndEarlierAnswers() {
        attrs.dirChanged(5, dir(1_000, 3), attrs.epoch());
        long sentBefore = attrs.epoch();
        attrs.dirChanged(5, null, attrs.epoch());
        assertThat(attrs.get(5)).isNull();
        attrs.answered(5, dir(9_000, 3), sentBefore);
        assertThat(attrs.get(5)).isNull();
    }
}
