package dev.fsdriver.server;

import dev.fsdriver.backend.FileAttributes;
import dev.fsdriver.backend.FsStats;
import dev.fsdriver.backend.SetAttributes;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.Node;
import dev.fsdriver.proto.v1.SetAttrRequest;
import dev.fsdriver.proto.v1.StatFsReply;
import dev.fsdriver.proto.v1.TimeSpec;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Backend values <-> protocol messages. */
final class Messages {
    private Messages() {}

    static Attr attr(FileAttributes a) {
        return Attr.newBuilder()
                .setIno(a.ino())
                .setMode(a.mode())
                .setNlink(a.nlink())
                .setUid(a.uid())
                .setGid(a.gid())
                .setSize(a.size())
                .setBlocks(a.blocks())
                .setAtimeNs(a.atimeNs())
                .setMtimeNs(a.mtimeNs())
                .setCtimeNs(a.ctimeNs())
                .setBlksize(a.blksize())
                .setRdev(a.rdev())
                .setGeneration(a.generation())
                .setTimesMove(a.timesMove() && a.isDirectory())
                .build();
    }

    static Node node(long id, FileAttributes a) {
        return Node.newBuilder().setId(id).setGeneration(a.generation()).setAttr(attr(a)).build();
    }

    static SetAttributes changes(SetAttrRequest r) {
        return new SetAttributes(
                r.hasSize() ? OptionalLong.of(r.getSize()) : OptionalLong.empty(),
                r.hasMode() ? OptionalInt.of(r.getMode()) : OptionalInt.empty(),
                r.hasUid() ? OptionalInt.of(r.getUid()) : OptionalInt.empty(),
                r.hasGid() ? OptionalInt.of(r.getGid()) : OptionalInt.empty(),
                r.hasAtime() ? time(r.getAtime()) : null,
                r.hasMtime() ? time(r.getMtime()) : null);
    }

    private static SetAttributes.TimeChange time(TimeSpec t) {
        return t.getKindCase() == TimeSpec.KindCase.NOW && t.getNow()
                ? SetAttributes.TimeChange.NOW
                : SetAttributes.TimeChange.at(t.getNs());
    }

    static StatFsReply statfs(FsStats s) {
        return StatFsReply.newBuilder()
                .setBlocks(s.blocks())
                .setBfree(s.bfree())
                .setBavail(s.bavail())
                .setFiles(s.files())
                .setFfree(s.ffree())
                .setBsize(s.bsize())
                .setFrsize(s.frsize())
                .setNamelen(s.namelen())
                .build();
    }
}
