package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fsdriver.fuse.FuseSetAttr;
import dev.fsdriver.proto.v1.Attr;
import dev.fsdriver.proto.v1.SetAttrRequest;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HeldSetAttrsTest {
    private static final Attr FILE = Attr.newBuilder().setMode(0100644).setUid(1000).setGid(100).setSize(4)
            .setMtimeNs(5).setCtimeNs(7).build();

    private static FuseSetAttr change(OptionalLong size, OptionalInt mode, OptionalInt uid, OptionalLong mtime, boolean now) {
        return new FuseSetAttr(-1, size, mode, uid, OptionalInt.empty(), mtime, false, mtime, now, false);
    }

    @Test
    void timesOwnerItHasAndModeMergeIntoOneChangeAndTheAttributesItGives() {
        HeldSetAttrs.Held times = HeldSetAttrs.merge(9, FILE, null,
                change(OptionalLong.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(1_000), false));
        HeldSetAttrs.Held owner = HeldSetAttrs.merge(9, times.view(), times.request(),
                change(OptionalLong.empty(), OptionalInt.empty(), OptionalInt.of(1000), OptionalLong.empty(), false));
        HeldSetAttrs.Held mode = HeldSetAttrs.merge(9, owner.view(), owner.request(),
                change(OptionalLong.empty(), OptionalInt.of(0600), OptionalInt.empty(), OptionalLong.empty(), false));

        assertThat(mode.request().getNode()).isEqualTo(9);
        assertThat(mode.request().getMode()).isEqualTo(0600);
        assertThat(mode.request().getMtime().getNs()).isEqualTo(1_000);
        assertThat(mode.request().getAtime().getNs()).isEqualTo(1_000);
        assertThat(mode.request().hasUid()).isFalse();
        assertThat(mode.view().getMode()).isEqualTo(0100600);
        assertThat(mode.view().getMtimeNs()).isEqualTo(1_000);
        assertThat(mode.view().getSize()).isEqualTo(4);
        assertThat(mode.view().getCtimeNs()).isEqualTo(7);
    }

    @Test
    void whatMayFailOrNeedsTheServerGoesNow() {
        OptionalLong none = OptionalLong.empty();
        OptionalInt no = OptionalInt.empty();
        assertThat(HeldSetAttrs.merge(9, null, null, change(none, OptionalInt.of(0600), no, none, false))).isNull();
        assertThat(HeldSetAttrs.merge(9, FILE, null, change(OptionalLong.of(0), no, no, none, false))).isNull();
        assertThat(HeldSetAttrs.merge(9, FILE, null, change(none, no, no, OptionalLong.of(1), true))).isNull();
        assertThat(HeldSetAttrs.merge(9, FILE, null, change(none, OptionalInt.of(04755), no, none, false))).isNull();
        assertThat(HeldSetAttrs.merge(9, FILE, null, change(none, no, OptionalInt.of(0), none, false))).isNull();
        Attr setuid = FILE.toBuilder().setMode(0104755).build();
        assertThat(HeldSetAttrs.merge(9, setuid, null, change(none, no, no, OptionalLong.of(1), false))).isNull();
        Attr dir = FILE.toBuilder().setMode(040755).build();
        assertThat(HeldSetAttrs.merge(9, dir, null, change(none, OptionalInt.of(0700), no, none, false))).isNull();
    }

    /** A change put back after its Write failed, with a newer one held: merged, the newer winning where both set a field. */
    @Test
    void aChangePutBackIsMergedUnderTheNewerOneHeld() {
        HeldSetAttrs.Held older = HeldSetAttrs.merge(9, FILE, null,
                change(OptionalLong.empty(), OptionalInt.of(0640), OptionalInt.empty(), OptionalLong.of(1_000), false));
        HeldSetAttrs.Held newer = HeldSetAttrs.merge(9, FILE, null,
                change(OptionalLong.empty(), OptionalInt.of(0600), OptionalInt.empty(), OptionalLong.empty(), false));
        HeldSetAttrs.Slot slot = new HeldSetAttrs.Slot();
        slot.set(newer);
        slot.keepIfNone(older.request());
        SetAttrRequest sent = slot.take();
        assertThat(sent.getMode()).isEqualTo(0600);
        assertThat(sent.getMtime().getNs()).as("the older change's field").isEqualTo(1_000);
        assertThat(sent.getNode()).isEqualTo(9);
    }
}
