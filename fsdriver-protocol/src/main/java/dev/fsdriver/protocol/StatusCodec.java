package dev.fsdriver.protocol;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fsdriver.common.Errno;
import dev.fsdriver.proto.v1.ErrorDetail;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * The one translation between POSIX errno and gRPC status, in both directions (table in
 * docs/errors.md). Server side: {@link #toStatus} gives the natural gRPC code and carries the
 * exact errno in an {@link ErrorDetail}. Client side: {@link #toErrno} reads the detail back,
 * or derives an errno from the code when there is none (a proxy, a transport failure).
 */
public final class StatusCodec {
    private StatusCodec() {}

    /** The natural gRPC code for an errno. */
    public static Status.Code codeFor(int errno) {
        return switch (errno) {
            case Errno.ENOENT -> Status.Code.NOT_FOUND;
            case Errno.EEXIST -> Status.Code.ALREADY_EXISTS;
            case Errno.EACCES, Errno.EPERM, Errno.EROFS -> Status.Code.PERMISSION_DENIED;
            case Errno.EINVAL, Errno.ENAMETOOLONG, Errno.EISDIR, Errno.ENOTDIR, Errno.ELOOP, Errno.EBADF,
                 Errno.ERANGE, Errno.EILSEQ, Errno.E2BIG -> Status.Code.INVALID_ARGUMENT;
            case Errno.ENOTEMPTY, Errno.EBUSY, Errno.ETXTBSY, Errno.EXDEV, Errno.EMLINK, Errno.ESTALE,
                 Errno.EPROTO ->
                    Status.Code.FAILED_PRECONDITION;
            case Errno.ENOSPC, Errno.EDQUOT, Errno.EMFILE, Errno.ENFILE, Errno.ENOMEM, Errno.EFBIG ->
                    Status.Code.RESOURCE_EXHAUSTED;
            case Errno.ENOSYS, Errno.EOPNOTSUPP -> Status.Code.UNIMPLEMENTED;
            case Errno.EAGAIN, Errno.ENOTCONN -> Status.Code.UNAVAILABLE;
            case Errno.ETIMEDOUT -> Status.Code.DEADLINE_EXCEEDED;
            case Errno.EINTR, Errno.ECANCELED -> Status.Code.CANCELLED;
            case Errno.EOVERFLOW -> Status.Code.OUT_OF_RANGE;
            case Errno.ENODATA -> Status.Code.NOT_FOUND;
            default -> Status.Code.INTERNAL;
        };
    }

    /** A status exception carrying {@code errno} in its details. */
    public static StatusRuntimeException toStatus(int errno, String message) {
        String text = message == null ? Errno.name(errno) : message;
        com.google.rpc.Status proto = com.google.rpc.Status.newBuilder()
                .setCode(codeFor(errno).value())
                .setMessage(text)
                .addDetails(Any.pack(ErrorDetail.newBuilder().setErrno(errno).setMessage(text).build()))
                .build();
        return StatusProto.toStatusRuntimeException(proto);
    }

    /**
     * The errno a failed call stands for: the ErrorDetail's if present, else one derived from the
     * gRPC code. Transport trouble (UNAVAILABLE, DEADLINE_EXCEEDED) becomes ENOTCONN/ETIMEDOUT so
     * the caller sees "server gone", never a hang.
     */
    public static int toErrno(Throwable t) {
        com.google.rpc.Status proto = StatusProto.fromThrowable(t);
        if (proto != null) {
            for (Any any : proto.getDetailsList()) {
                if (any.is(ErrorDetail.class)) {
                    try {
                        return any.unpack(ErrorDetail.class).getErrno();
                    } catch (InvalidProtocolBufferException e) {
                        break;
                    }
                }
            }
        }
        Status status = Status.fromThrowable(t);
        return errnoFor(status.getCode());
    }

    /** The errno for a bare gRPC code (no detail). */
    public static int errnoFor(Status.Code code) {
        return switch (code) {
            case OK -> 0;
            case NOT_FOUND -> Errno.ENOENT;
            case ALREADY_EXISTS -> Errno.EEXIST;
            case PERMISSION_DENIED, UNAUTHENTICATED -> Errno.EACCES;
            case INVALID_ARGUMENT, OUT_OF_RANGE -> Errno.EINVAL;
            case FAILED_PRECONDITION -> Errno.EBUSY;
            case RESOURCE_EXHAUSTED -> Errno.ENOSPC;
            case UNIMPLEMENTED -> Errno.ENOSYS;
            case UNAVAILABLE -> Errno.ENOTCONN;
            case DEADLINE_EXCEEDED -> Errno.ETIMEDOUT;
            case CANCELLED -> Errno.EINTR;
            default -> Errno.EIO;
        };
    }
}
