package dev.fsdriver.client;

import com.google.common.util.concurrent.ListenableFuture;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.CreateReply;
import dev.fsdriver.proto.v1.CreateRequest;
import dev.fsdriver.proto.v1.Empty;
import dev.fsdriver.proto.v1.ParentAttrs;
import dev.fsdriver.proto.v1.FsyncReply;
import dev.fsdriver.proto.v1.FsyncRequest;
import dev.fsdriver.proto.v1.GetAttrRequest;
import dev.fsdriver.proto.v1.LinkRequest;
import dev.fsdriver.proto.v1.LookupRequest;
import dev.fsdriver.proto.v1.MkdirRequest;
import dev.fsdriver.proto.v1.MknodRequest;
import dev.fsdriver.proto.v1.NameRequest;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.NodeRequest;
import dev.fsdriver.proto.v1.OpenReply;
import dev.fsdriver.proto.v1.OpenRequest;
import dev.fsdriver.proto.v1.ReadDirReply;
import dev.fsdriver.proto.v1.ReadDirRequest;
import dev.fsdriver.proto.v1.ReadReply;
import dev.fsdriver.proto.v1.ReadRequest;
import dev.fsdriver.proto.v1.ReadlinkReply;
import dev.fsdriver.proto.v1.RenameRequest;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.StatFsReply;
import dev.fsdriver.proto.v1.SymlinkRequest;
import dev.fsdriver.proto.v1.UnlinkManyReply;
import dev.fsdriver.proto.v1.UnlinkManyRequest;
import dev.fsdriver.proto.v1.FilesGrpc;
import dev.fsdriver.proto.v1.WriteReply;
import dev.fsdriver.proto.v1.WriteRequest;
import dev.fsdriver.protocol.Protocol;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The Files calls a FUSE thread makes and waits for, each bounded by the connection's deadline.
 *
 * <p>Why not grpc's blocking stub with a deadline: that one schedules a timer on the transport's
 * event loop per call and cancels it from the calling thread afterwards, which wakes the event
 * loop once more per call; and its executor hands the reply back to the caller to decode. Here
 * the reply completes a future on the transport thread (the channel's direct executor) and the
 * caller waits with a timeout of its own: one event-loop wake-up less per call
 * (docs/benchmarks.md has the figures). Failures are thrown as the
 * blocking stub throws them (StatusRuntimeException), for {@link Connection#failure}.
 */
final class FilesCalls {
    private final FilesGrpc.FilesFutureStub stub;
    private final long timeoutNanos;
    /** Says Hello again (with the resume key), so the session moves to the channel's connection now. */
    private final Runnable resume;

    FilesCalls(FilesGrpc.FilesFutureStub stub, long timeoutNanos, Runnable resume) {
        this.stub = stub;
        this.timeoutNanos = timeoutNanos;
        this.resume = resume;
    }

    Node lookup(LookupRequest request) {
        return call(() -> stub.lookup(request));
    }

    Attr getAttr(GetAttrRequest request) {
        return call(() -> stub.getAttr(request));
    }

    Attr setAttr(SetAttrRequest request) {
        return call(() -> stub.setAttr(request));
    }

    ReadDirReply readDir(ReadDirRequest request) {
        return call(() -> stub.readDir(request));
    }

    OpenReply open(OpenRequest request) {
        return call(() -> stub.open(request));
    }

    ReadReply read(ReadRequest request) {
        return call(() -> stub.read(request));
    }

    WriteReply write(WriteRequest request) {
        return call(() -> stub.write(request));
    }

    FsyncReply fsync(FsyncRequest request) {
        return call(() -> stub.fsync(request));
    }

    CreateReply create(CreateRequest request) {
        return call(() -> stub.create(request));
    }

    Node mkdir(MkdirRequest request) {
        return call(() -> stub.mkdir(request));
    }

    ParentAttrs unlink(NameRequest request) {
        return call(() -> stub.unlink(request));
    }

    UnlinkManyReply unlinkMany(UnlinkManyRequest request) {
        return call(() -> stub.unlinkMany(request));
    }

    ParentAttrs rmdir(NameRequest request) {
        return call(() -> stub.rmdir(request));
    }

    ParentAttrs rename(RenameRequest request) {
        return call(() -> stub.rename(request));
    }

    Node link(LinkRequest request) {
        return call(() -> stub.link(request));
    }

    Node symlink(SymlinkRequest request) {
        return call(() -> stub.symlink(request));
    }

    Node mknod(MknodRequest request) {
        return call(() -> stub.mknod(request));
    }

    ReadlinkReply readlink(NodeRequest request) {
        return call(() -> stub.readlink(request));
    }

    StatFsReply statFs(NodeRequest request) {
        return call(() -> stub.statFs(request));
    }

    dev.fsdriver.proto.v1.XattrValue getXattr(dev.fsdriver.proto.v1.XattrRequest request) {
        return call(() -> stub.getXattr(request));
    }

    dev.fsdriver.proto.v1.XattrNames listXattr(NodeRequest request) {
        return call(() -> stub.listXattr(request));
    }

    Empty setXattr(dev.fsdriver.proto.v1.SetXattrRequest request) {
        return call(() -> stub.setXattr(request));
    }

    Empty removeXattr(dev.fsdriver.proto.v1.XattrRequest request) {
        return call(() -> stub.removeXattr(request));
    }

    /**
     * Makes the call and waits for it; a call the server refused unexecuted because the session
     * is bound to the connection this channel had before it reconnected ({@link
     * Protocol#SESSION_ELSEWHERE}) goes again once, after the Hello that moves the session here.
     */
    private <T> T call(Supplier<ListenableFuture<T>> call) {
        try {
            return await(call.get());
        } catch (StatusRuntimeException e) {
            if (!CallFailures.sessionElsewhere(e)) {
                throw e;
            }
            resume.run();
            return await(call.get());
        }
    }

    private <T> T await(ListenableFuture<T> reply) {
        try {
            return reply.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                throw s;
            }
            throw Status.fromThrowable(e.getCause()).asRuntimeException(Status.trailersFromThrowable(e.getCause()));
        } catch (TimeoutException e) {
            reply.cancel(true); // cancels the call: the server hears of it
            throw Status.DEADLINE_EXCEEDED.withDescription("no answer within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms").asRuntimeException();
        } catch (InterruptedException e) {
            reply.cancel(true);
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").withCause(e).asRuntimeException();
        }
    }
}
