package dev.fsdriver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.common.Errno;
import dev.fsdriver.proto.v1.ErrorDetail;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusCodecTest {
    /** Every errno constant Errno defines. */
    private static List<Integer> allErrnos() throws IllegalAccessException {
        List<Integer> out = new ArrayList<>();
        for (Field f : Errno.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                out.add(f.getInt(null));
            }
        }
        return out;
    }

    @Test
    void everyErrnoRoundTripsThroughTheDetail() throws Exception {
        List<Integer> errnos = allErrnos();
        assertThat(errnos).hasSizeGreaterThan(40);
        for (int errno : errnos) {
            StatusRuntimeException e = StatusCodec.toStatus(errno, "op 'path'");
            assertThat(e.getStatus().getCode()).as(Errno.name(errno)).isEqualTo(StatusCodec.codeFor(errno));
            assertThat(e.getStatus().getDescription()).isEqualTo("op 'path'");
            assertThat(StatusCodec.toErrno(e)).as(Errno.name(errno)).isEqualTo(errno);
        }
    }

    @Test
    void survivesTheTrailersAsTheClientSeesThem() {
        // what a client gets: a status rebuilt from the trailers (grpc-status-details-bin)
        StatusRuntimeException sent = StatusCodec.toStatus(Errno.ENOTEMPTY, null);
        Metadata trailers = sent.getTrailers();
        StatusRuntimeException received = sent.getStatus().asRuntimeException(trailers);
        assertThat(StatusCodec.toErrno(received)).isEqualTo(Errno.ENOTEMPTY);
        assertThat(received.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(received.getStatus().getDescription()).isEqualTo("ENOTEMPTY");
        ErrorDetail d = null;
        for (var any : StatusProto.fromThrowable(received).getDetailsList()) {
            if (any.is(ErrorDetail.class)) {
                try {
                    d = any.unpack(ErrorDetail.class);
                } catch (Exception ex) {
                    throw new AssertionError(ex);
                }
            }
        }
        assertThat(d).isNotNull();
        assertThat(d.getErrno()).isEqualTo(Errno.ENOTEMPTY);
    }

    @Test
    void naturalCodes() {
        assertThat(StatusCodec.codeFor(Errno.ENOENT)).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(StatusCodec.codeFor(Errno.EEXIST)).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(StatusCodec.codeFor(Errno.EACCES)).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(StatusCodec.codeFor(Errno.EROFS)).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(StatusCodec.codeFor(Errno.EINVAL)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(StatusCodec.codeFor(Errno.ENOTEMPTY)).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(StatusCodec.codeFor(Errno.ENOSPC)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(StatusCodec.codeFor(Errno.ENOSYS)).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(StatusCodec.codeFor(Errno.EIO)).isEqualTo(Status.Code.INTERNAL);
        // a value too big and another protocol version are the caller's doing, not a server bug
        assertThat(StatusCodec.codeFor(Errno.E2BIG)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(StatusCodec.codeFor(Errno.EPROTO)).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void bareCodesWithoutDetailStillGiveAnErrno() {
        for (Status.Code code : Status.Code.values()) {
            int errno = StatusCodec.toErrno(code.toStatus().asRuntimeException());
            assertThat(errno).as(code.name()).isEqualTo(StatusCodec.errnoFor(code));
            if (code != Status.Code.OK) {
                assertThat(errno).as(code.name()).isPositive();
            }
        }
        assertThat(StatusCodec.errnoFor(Status.Code.UNAVAILABLE)).isEqualTo(Errno.ENOTCONN);
        assertThat(StatusCodec.errnoFor(Status.Code.DEADLINE_EXCEEDED)).isEqualTo(Errno.ETIMEDOUT);
        assertThat(StatusCodec.errnoFor(Status.Code.UNAUTHENTICATED)).isEqualTo(Errno.EACCES);
        assertThat(StatusCodec.errnoFor(Status.Code.UNKNOWN)).isEqualTo(Errno.EIO);
        // a plain exception (not a status) is EIO-ish, never OK
        assertThat(StatusCodec.toErrno(new RuntimeException("boom"))).isEqualTo(Errno.EIO);
    }

    @Test
    void derivedErrnoMatchesTheCodeForTheCommonCases() {
        // an errno whose code maps back to itself survives even a proxy that drops details
        for (int errno : new int[] {Errno.ENOENT, Errno.EEXIST, Errno.EACCES, Errno.EINVAL, Errno.EBUSY,
                Errno.ENOSPC, Errno.ENOSYS, Errno.ENOTCONN, Errno.ETIMEDOUT, Errno.EINTR}) {
            assertThat(StatusCodec.errnoFor(StatusCodec.codeFor(errno))).as(Errno.name(errno)).isEqualTo(errno);
        }
    }
}
