package dev.fsdriver.client;

import dev.fsdriver.fuse.FuseAttr;
import dev.fsdriver.proto.v1.Attr;

/** Wire attributes to kernel attributes. */
public final class Attrs {
    private Attrs() {}

    public static FuseAttr toFuse(Attr a) {
        return new FuseAttr(a.getIno(), a.getSize(), a.getBlocks(), a.getAtimeNs(), a.getMtimeNs(), a.getCtimeNs(),
                a.getMode(), a.getNlink(), a.getUid(), a.getGid(), a.getRdev(),
                a.getBlksize() == 0 ? 4096 : a.getBlksize(), a.getTimesMove());
    }
}
