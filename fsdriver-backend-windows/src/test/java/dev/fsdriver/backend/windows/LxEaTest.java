package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LxEaTest {
    @Test
    void valuesAreLittleEndianU32() {
        Map<String, byte[]> v = LxEa.values(new LxEa.Metadata(1000, 100, 0100644, null));
        assertThat(v.keySet()).containsExactly("$LXUID", "$LXGID", "$LXMOD");
        assertThat(HexFormat.of().formatHex(v.get("$LXUID"))).isEqualTo("e8030000");
        assertThat(HexFormat.of().formatHex(v.get("$LXGID"))).isEqualTo("64000000");
        assertThat(HexFormat.of().formatHex(v.get("$LXMOD"))).isEqualTo("a4810000");
    }

    @Test
    void fullEaChainLayoutIsByteExact() {
        Map<String, byte[]> eas = new LinkedHashMap<>(LxEa.values(new LxEa.Metadata(1000, 1000, 040755, null)));
        byte[] enc = LxEa.encodeFull(eas);
        // Each entry: 8-byte header + "$LXUID" (6) + NUL + 4-byte value = 19, padded to 20; the last unpadded.
        assertThat(enc).hasSize(20 + 20 + 19);
        String hex = HexFormat.of().formatHex(enc);
        assertThat(hex.substring(0, 40)).isEqualTo(
                "14000000" + "00" + "06" + "0400" + "244c58554944" + "00" + "e8030000" + "00");
        assertThat(hex.substring(80)).isEqualTo(
                "00000000" + "00" + "06" + "0400" + "244c584d4f44" + "00" + "ed410000");
    }

    @Test
    void decodeWhatWasEncoded() {
        byte[] enc = LxEa.encodeFull(LxEa.values(new LxEa.Metadata(0, 5, 0100600, 0x0000_0008_0000_0001L)));
        LxEa.Metadata m = LxEa.fromValues(LxEa.decodeFull(ByteBuffer.wrap(enc), enc.length));
        assertThat(m).isEqualTo(new LxEa.Metadata(0, 5, 0100600, 0x0000_0008_0000_0001L));
    }

    @Test
    void decodeIgnoresOtherEasAndAcceptsLowerCaseNames() {
        Map<String, byte[]> eas = new LinkedHashMap<>();
        eas.put("USER.COMMENT", new byte[] {1, 2, 3});
        eas.put("$lxuid", new byte[] {(byte) 0xe8, 3, 0, 0});
        byte[] enc = LxEa.encodeFull(eas);
        LxEa.Metadata m = LxEa.fromValues(LxEa.decodeFull(ByteBuffer.wrap(enc), enc.length));
        assertThat(m).isEqualTo(new LxEa.Metadata(1000, null, null, null));
    }

    @Test
    void noEasIsEmptyMetadata() {
        assertThat(LxEa.fromValues(LxEa.decodeFull(ByteBuffer.allocate(0), 0)).isEmpty()).isTrue();
    }

    @Test
    void getListLayout() {
        byte[] list = LxEa.encodeGetList("$LXUID", "$LXGID", "$LXMOD");
        // 4 + 1 + 6 + NUL = 12, already aligned; last 12.
        assertThat(list).hasSize(36);
        assertThat(HexFormat.of().formatHex(list, 0, 12)).isEqualTo("0c000000" + "06" + "244c58554944" + "00");
        assertThat(HexFormat.of().formatHex(list, 24, 28)).isEqualTo("00000000");
    }
}
