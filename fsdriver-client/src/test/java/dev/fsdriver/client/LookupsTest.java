package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseFileSystem;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What Lookups answers on a virtual thread is always answered, a bug too. */
class LookupsTest {
    /**
     * Failed before (seen: the thread died of the exception, the reply unanswered): whoever waits
     * on the reply (the events applier) would wait forever.
     */
    @Test
    void aRuntimeExceptionOnTheVirtualThreadIsAnsweredEio() throws Exception {
        List<String> answers = Collections.synchronizedList(new ArrayList<>());
        FuseFileSystem.Reply<String> reply = new FuseFileSystem.Reply<>() {
            @Override
            public void done(String value) {
                answers.add("done " + value);
            }

            @Override
            public void failed(int errno) {
                answers.add("failed " + errno);
            }
        };
        Lookups.onVirtualThread(reply, () -> {
            throw new IllegalStateException("a bug");
        }).join();
        assertThat(answers).containsExactly("failed " + Errno.EIO);
    }
}
