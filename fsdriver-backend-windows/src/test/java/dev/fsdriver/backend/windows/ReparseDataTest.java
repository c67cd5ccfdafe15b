package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.backend.RelPath;
import dev.fsdriver.backend.windows.ReparseData.Kind;
import dev.fsdriver.backend.windows.ReparseData.Link;
import dev.fsdriver.common.Errno;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReparseDataTest {
    /**
     * What `mklink rel ..\target.txt` stores (tag, lengths, offsets, flags = RELATIVE; names
     * "..\target.txt" as substitute then print name, no NULs), as FSCTL_GET_REPARSE_POINT returns it.
     */
    @Test
    void relativeNativeSymlink() throws FsException {
        String name = "..\\target.txt";
        int nb = 2 * name.length();
        Le le = new Le(20 + 2 * nb);
        le.u32(0, 0xA000000C).u16(4, 12 + 2 * nb).u16(6, 0)
                .u16(8, 0).u16(10, nb).u16(12, nb).u16(14, nb).u32(16, 1)
                .utf16(20, name).utf16(20 + nb, name);
        Link l = ReparseData.parse(le.buffer(), le.buffer().capacity());
        assertThat(l.kind()).isEqualTo(Kind.SYMLINK);
        assertThat(l.relative()).isTrue();
        assertThat(l.target()).isEqualTo("..\\target.txt");
        assertThat(ReparseData.toPosixTarget(l, "C:\\share", RelPath.ROOT)).isEqualTo("../target.txt");
    }

    @Test
    void absoluteNativeSymlinkPrintNameFirstLayout() throws FsException {
        // CreateSymbolicLinkW lays out the print name first: PrintNameOffset 0, SubstituteNameOffset after it.
        String print = "C:\\share\\docs\\a.txt";
        String sub = "\\??\\C:\\share\\docs\\a.txt";
        int pb = 2 * print.length();
        int sb = 2 * sub.length();
        Le le = new Le(20 + pb + sb);
        le.u32(0, 0xA000000C).u16(4, 12 + pb + sb).u16(8, pb).u16(10, sb).u16(12, 0).u16(14, pb).u32(16, 0)
                .utf16(20, print).utf16(20 + pb, sub);
        Link l = ReparseData.parse(le.buffer(), le.buffer().capacity());
        assertThat(l.relative()).isFalse();
        assertThat(l.target()).isEqualTo(print);
        assertThat(l.substituteName()).isEqualTo(sub);
        // Inside the share: relative to the link's directory, so it works wherever the client mounts.
        assertThat(ReparseData.toPosixTarget(l, "C:\\share", RelPath.parse("src/main"))).isEqualTo("../../docs/a.txt");
        assertThat(ReparseData.toPosixTarget(l, "c:\\SHARE\\", RelPath.parse("docs"))).isEqualTo("a.txt");
    }

    @Test
    void junctionWithoutPrintNameUsesSubstituteWithoutNtPrefix() throws FsException {
        String sub = "\\??\\D:\\elsewhere\\dir";
        byte[] built = ReparseData.buildMountPoint(sub, "");
        // Names are NUL-terminated in mount points: header 16, substitute + NUL, empty print name + NUL.
        assertThat(built).hasSize(16 + 2 * sub.length() + 2 + 2);
        Link l = ReparseData.parse(ByteBuffer.wrap(built), built.length);
        assertThat(l.kind()).isEqualTo(Kind.JUNCTION);
        assertThat(l.target()).isEqualTo("D:\\elsewhere\\dir");
        assertThat(ReparseData.toPosixTarget(l, "C:\\share", RelPath.ROOT)).isEqualTo("/mnt/d/elsewhere/dir");
    }

    @Test
    void junctionBytesMatchTheDocumentedLayout() throws FsException {
        byte[] built = ReparseData.buildMountPoint("\\??\\C:\\x", "C:\\x");
        assertThat(HexFormat.of().formatHex(built)).isEqualTo(
                "030000a0" + "2400" + "0000"              // tag, ReparseDataLength 36, Reserved
                + "0000" + "1000" + "1200" + "0800"       // sub off 0 len 16, print off 18 len 8
                + "5c003f003f005c0043003a005c007800" + "0000" // \??\C:\x + NUL
                + "43003a005c007800" + "0000");            // C:\x + NUL
    }

    @Test
    void lxSymlinkBuildAndParse() throws FsException {
        byte[] built = ReparseData.buildLxSymlink("../lib/libz.so.1");
        assertThat(HexFormat.of().formatHex(built, 0, 12)).isEqualTo("1d0000a0" + "1400" + "0000" + "02000000");
        assertThat(new String(built, 12, built.length - 12, StandardCharsets.UTF_8)).isEqualTo("../lib/libz.so.1");
        Link l = ReparseData.parse(ByteBuffer.wrap(built), built.length);
        assertThat(l.kind()).isEqualTo(Kind.LX_SYMLINK);
        assertThat(l.target()).isEqualTo("../lib/libz.so.1");
        assertThat(ReparseData.toPosixTarget(l, "C:\\share", RelPath.ROOT)).isEqualTo("../lib/libz.so.1");
    }

    @Test
    void lxSymlinkKeepsUtf8AndAbsoluteTargets() throws FsException {
        byte[] built = ReparseData.buildLxSymlink("/usr/share/\u00e9t\u00e9");
        Link l = ReparseData.parse(ByteBuffer.wrap(built), built.length);
        assertThat(l.target()).isEqualTo("/usr/share/\u00e9t\u00e9");
    }

    @Test
    void unknownVersionOrShortDataIsEio() {
        Le le = new Le(12).u32(0, 0xA000001D).u16(4, 4).u32(8, 1);
        assertThatThrownBy(() -> ReparseData.parse(le.buffer(), 12))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EIO));
        Le le2 = new Le(8).u32(0, 0xA000000C).u16(4, 100);
        assertThatThrownBy(() -> ReparseData.parse(le2.buffer(), 8))
                .satisfies(e -> assertThat(((FsException) e).errno()).isEqualTo(Errno.EIO));
    }

    @Test
    void otherTagsAreOther() throws FsException {
        Le le = new Le(8).u32(0, 0x9000001A).u16(4, 0); // OneDrive cloud file
        assertThat(ReparseData.parse(le.buffer(), 8).kind()).isEqualTo(Kind.OTHER);
    }

    @Test
    void nativeSymlinkBuildRoundTrip() throws FsException {
        byte[] built = ReparseData.buildSymlink("..\\a\uF03Ab", "..\\a\uF03Ab", true);
        Link l = ReparseData.parse(ByteBuffer.wrap(built), built.length);
        assertThat(l.relative()).isTrue();
        assertThat(ReparseData.toPosixTarget(l, "C:\\s", RelPath.ROOT)).isEqualTo("../a:b");
    }

    @Test
    void posixTargetsToNativeRelative() throws FsException {
        assertThat(ReparseData.toNativeRelative("../a:b/./c", 1)).isEqualTo("..\\a\uF03Ab\\.\\c");
        assertThat(ReparseData.toNativeRelative("/etc/passwd", 1)).isNull();
    }

    /** B1: a native link must not lead out of the share; such targets become WSL-style links (null). */
    @Test
    void nativeTargetsThatClimbOutOfTheShareAreRefused() throws FsException {
        assertThat(ReparseData.toNativeRelative("../x", 0)).isNull();
        assertThat(ReparseData.toNativeRelative("a/../../x", 0)).isNull();
        assertThat(ReparseData.toNativeRelative("../../x", 1)).isNull();
        assertThat(ReparseData.toNativeRelative("../x", 1)).isEqualTo("..\\x");
        assertThat(ReparseData.toNativeRelative("a/../../x", 1)).isEqualTo("a\\..\\..\\x");
        assertThat(ReparseData.toNativeRelative("./..", 1)).isEqualTo(".\\..");
        // "." and empty components do not count as a level
        assertThat(ReparseData.toNativeRelative("a/./../..", 0)).isNull();
        assertThat(ReparseData.toNativeRelative("a//../../x", 0)).isNull();
        assertThat(ReparseData.toNativeRelative("./../x", 0)).isNull();
    }

    @Test
    void uncTargetsAndRelativize() throws FsException {
        Link unc = new Link(Kind.SYMLINK, 0xA000000C, "\\\\server\\share\\x", "\\??\\UNC\\server\\share\\x", false);
        assertThat(ReparseData.toPosixTarget(unc, "C:\\s", RelPath.ROOT)).isEqualTo("//server/share/x");
        assertThat(ReparseData.relativize(List.of("a", "b"), List.of("a", "b"))).isEqualTo(".");
        assertThat(ReparseData.relativize(List.of("a"), List.of())).isEqualTo("..");
    }

    /**
     * B13: an absolute link follows its substitute name; the print name is display only and may
     * differ. Recorded-buffer level: Wine 8 cannot make reparse points (FSCTL_SET_REPARSE_POINT error 50).
     */
    @Test
    void absoluteTargetComesFromTheSubstituteNameNotThePrintName() throws FsException {
        Link l = new Link(Kind.SYMLINK, 0xA000000C, "C:\\share\\shown", "\\??\\C:\\share\\real\\f", false);
        assertThat(ReparseData.toPosixTarget(l, "C:\\share", RelPath.ROOT)).isEqualTo("real/f");
        Link j = new Link(Kind.JUNCTION, 0xA0000003, "D:\\pretty", "\\??\\D:\\actual", false);
        assertThat(ReparseData.toPosixTarget(j, "C:\\share", RelPath.ROOT)).isEqualTo("/mnt/d/actual");
    }

    /** B13: a new link's target is looked up by share path, never as a literal ".." inside a \\?\ path. */
    @Test
    void targetInShareResolvesDotsByName() throws FsException {
        assertThat(ReparseData.targetInShare(RelPath.parse("a/b"), "../c/./d")).isEqualTo(RelPath.parse("a/c/d"));
        assertThat(ReparseData.targetInShare(RelPath.parse("a"), "..")).isEqualTo(RelPath.ROOT);
        assertThat(ReparseData.targetInShare(RelPath.parse("a"), "../../x")).isNull();
        assertThat(ReparseData.targetInShare(RelPath.ROOT, "/etc")).isNull();
    }
}
