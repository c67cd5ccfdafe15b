package dev.fsdriver.fuse;

import dev.fsdriver.common.Errno;
import java.util.concurrent.CountDownLatch;

/** The reply {@link FuseFileSystem.Reply#await} waits on: answered once, from any thread. */
final class AwaitedReply<T> implements FuseFileSystem.Reply<T> {
    private final CountDownLatch answered = new CountDownLatch(1);
    // written before countDown, read after await: the latch orders them
    private T value;
    private int errno;

    @Override
    public void done(T value) {
        this.value = value;
        answered.countDown();
    }

    @Override
    public void failed(int errno) {
        this.errno = errno == 0 ? Errno.EIO : Math.abs(errno); // a failure without an errno is still one
        answered.countDown();
    }

    T get() throws FuseException {
        try {
            answered.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FuseException(Errno.EINTR, "interrupted while waiting for an answer");
        }
        if (errno != 0) {
            throw new FuseException(errno);
        }
        return value;
    }
}
