package dev.fsdriver.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.common.Errno;
import dev.fsdriver.fuse.FuseFileSystem.Reply;
import dev.fsdriver.fuse.examples.MemoryFileSystem;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** {@link Reply#await} and {@link BlockingFileSystem}: the two sides of one reply style. */
class RepliesAwaitedTest {
    /** A request from root. */
    record Req() implements FuseRequest {
        public long unique() { return 1; }
        public int opcode() { return 0; }
        public long nodeId() { return FuseFileSystem.ROOT_ID; }
        public int uid() { return 0; }
        public int gid() { return 0; }
        public int pid() { return 1; }
        public boolean isInterrupted() { return false; }
    }

    /** A file system that answers every lookup from a thread of its own, after the call returned. */
    static final class Later implements FuseFileSystem {
        final CountDownLatch returned = new CountDownLatch(1);
        volatile String answeredBy;

        @Override
        public void lookup(FuseRequest req, long parent, String name, Reply<FuseEntry> reply) throws FuseException {
            if (name.equals("thrown")) {
                throw new FuseException(Errno.EACCES);
            }
            Thread.ofPlatform().name("answering").start(() -> {
                try {
                    returned.await(); // the answer comes after lookup returned: await must wait for it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                answeredBy = Thread.currentThread().getName();
                if (name.equals("absent")) {
                    reply.failed(Errno.ENOENT);
                } else {
                    reply.done(FuseEntry.negative(7));
                }
            });
            returned.countDown();
        }
    }

    @Test
    void awaitGivesTheValueAnsweredLaterOnAnotherThread() throws Exception {
        Later fs = new Later();
        FuseEntry e = Reply.await(r -> fs.lookup(null, FuseFileSystem.ROOT_ID, "x", r));
        assertThat(e.entryTimeoutNs()).isEqualTo(7);
        assertThat(fs.answeredBy).isEqualTo("answering");
    }

    @Test
    void aFailureAnsweredLaterIsThrownWithItsErrno() {
        Later fs = new Later();
        assertThatThrownBy(() -> Reply.<FuseEntry>await(r -> fs.lookup(null, FuseFileSystem.ROOT_ID, "absent", r)))
                .isInstanceOfSatisfying(FuseException.class, f -> assertThat(f.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    void whatTheOperationThrowsPassesUnchanged() {
        Later fs = new Later();
        assertThatThrownBy(() -> Reply.<FuseEntry>await(r -> fs.lookup(null, FuseFileSystem.ROOT_ID, "thrown", r)))
                .isInstanceOfSatisfying(FuseException.class, f -> assertThat(f.errno()).isEqualTo(Errno.EACCES));
    }

    @Test
    void anInterruptedWaitFailsWithEintrAndKeepsTheFlag() {
        FuseFileSystem never = new FuseFileSystem() {
            @Override
            public void getattr(FuseRequest req, long nodeId, long fh, Reply<FuseAttrReply> reply) {
                // never answered
            }
        };
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Reply.<FuseAttrReply>await(r -> never.getattr(null, FuseFileSystem.ROOT_ID, -1, r)))
                    .isInstanceOfSatisfying(FuseException.class, f -> assertThat(f.errno()).isEqualTo(Errno.EINTR));
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    /** A file system that answers at once implements the plain methods; the adapter answers the replies with them. */
    @Test
    void aBlockingFileSystemAnswersTheReplyFormsWithItsPlainMethods() throws Exception {
        MemoryFileSystem fs = new MemoryFileSystem();
        fs.mkdir(new Req(), FuseFileSystem.ROOT_ID, "d", 0755, 0);
        FuseEntry d = Reply.await(r -> fs.lookup(null, FuseFileSystem.ROOT_ID, "d", r));
        FuseAttrReply attr = Reply.await(r -> fs.getattr(null, d.nodeId(), -1, r));
        assertThat(attr.attr().ino()).isEqualTo(d.nodeId());
        Reply.<Void>await(r -> fs.rmdir(null, FuseFileSystem.ROOT_ID, "d", r));
        assertThatThrownBy(() -> fs.lookup(null, FuseFileSystem.ROOT_ID, "d"))
                .isInstanceOfSatisfying(FuseException.class, f -> assertThat(f.errno()).isEqualTo(Errno.ENOENT));

        FuseFileSystem nothing = new BlockingFileSystem() {};
        assertThatThrownBy(() -> Reply.<Void>await(r -> nothing.unlink(null, FuseFileSystem.ROOT_ID, "x", r)))
                .isInstanceOfSatisfying(FuseException.class, f -> assertThat(f.errno()).isEqualTo(Errno.ENOSYS));
    }
}
