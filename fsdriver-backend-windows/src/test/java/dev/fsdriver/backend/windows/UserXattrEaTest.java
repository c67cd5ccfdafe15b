package dev.fsdriver.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fsdriver.backend.FsException;
import dev.fsdriver.common.Errno;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The EA names and values of user.* xattrs on NTFS, checked here because Wine has no EAs (the
 * Windows conformance tests of xattrs are Wine gaps): NTFS upper-cases EA names, so what comes
 * back from NtQueryEaFile is the upper-cased name, and must decode to the same Linux name.
 */
class UserXattrEaTest {
    /** What NTFS does to a name it stores. */
    private static String stored(String ea) {
        return ea.toUpperCase(Locale.ROOT);
    }

    private static int errno(ThrowingRunnable r) {
        try {
            r.run();
        } catch (FsException e) {
            return e.errno();
        }
        throw new AssertionError("no error");
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws FsException;
    }

    @Test
    void namesThatDifferOnlyInCaseStayApartAndSurviveUpperCasing() throws FsException {
        assertThat(UserXattrEa.eaName("user.mime_type")).isEqualTo("FSDX.MIME_TYPE");
        assertThat(UserXattrEa.eaName("user.Key")).isEqualTo("FSDX.%4BEY");
        assertThat(UserXattrEa.eaName("user.key")).isNotEqualToIgnoringCase(UserXattrEa.eaName("user.Key"));
        for (String name : new String[] {"user.k", "user.Key", "user.KEY", "user.a b/c:d*e%f", "user.caf\u00e9.\u65e5\u672c",
                "user.xdg.origin.url", "user.-._09", "user.%41"}) {
            String ea = UserXattrEa.eaName(name);
            assertThat(ea).as(name).matches("FSDX\\.[A-Z0-9._%-]+");
            assertThat(UserXattrEa.xattrName(stored(ea))).as(name).isEqualTo(name);
            assertThat(UserXattrEa.xattrName(ea.toLowerCase(Locale.ROOT))).as("compared case-insensitively").isEqualTo(name);
        }
    }

    @Test
    void wslAndForeignEasAreNotXattrs() {
        for (String ea : new String[] {"$LXUID", "$LXGID", "$LXMOD", "$LXDEV", "LXATTRB", "LXXATTR", "FSDX.", "FSDX", "OTHER.K",
                "FSDX.%4", "FSDX.%ZZ"}) {
            assertThat(UserXattrEa.xattrName(ea)).as(ea).isNull();
        }
    }

    @Test
    void limitsAsLinuxSaysThem() throws FsException {
        assertThat(errno(() -> UserXattrEa.eaName("security.selinux"))).isEqualTo(Errno.EOPNOTSUPP);
        assertThat(UserXattrEa.eaName("user." + "k".repeat(250))).hasSize(255);
        assertThat(errno(() -> UserXattrEa.eaName("user." + "K".repeat(100)))).as("300 bytes once escaped").isEqualTo(Errno.ERANGE);
        assertThat(UserXattrEa.stored(new byte[UserXattrEa.VALUE_MAX])).hasSize(65535);
        assertThat(errno(() -> UserXattrEa.stored(new byte[UserXattrEa.VALUE_MAX + 1]))).isEqualTo(Errno.E2BIG);
    }

    @Test
    void emptyValuesExistBecauseEveryValueCarriesOneByteMore() throws FsException {
        assertThat(UserXattrEa.stored(new byte[0])).containsExactly(0);
        assertThat(UserXattrEa.value(UserXattrEa.stored(new byte[0]))).isEmpty();
        assertThat(UserXattrEa.value(new byte[0])).as("NtQueryEaFile's answer for a missing name").isNull();
        byte[] v = {0, 1, (byte) 0xff};
        assertThat(UserXattrEa.value(UserXattrEa.stored(v))).isEqualTo(v);
    }

    @Test
    void aFileEaListWithWslMetadataDecodesToItsUserNamesOnly() throws FsException {
        Map<String, byte[]> eas = new LinkedHashMap<>();
        eas.put(LxEa.LXUID, new byte[] {1, 0, 0, 0});
        eas.put(stored(UserXattrEa.eaName("user.Origin")), UserXattrEa.stored("https://x".getBytes(StandardCharsets.UTF_8)));
        eas.put(LxEa.LXMOD, new byte[] {(byte) 0xa4, (byte) 0x81, 0, 0});
        eas.put(stored(UserXattrEa.eaName("user.e")), UserXattrEa.stored(new byte[0]));
        eas.put("LXATTRB", new byte[] {9});
        byte[] chain = LxEa.encodeFull(eas);
        Map<String, byte[]> decoded = LxEa.decodeFull(ByteBuffer.wrap(chain), chain.length);
        assertThat(UserXattrEa.names(decoded)).containsExactly("user.Origin", "user.e");
        assertThat(LxEa.fromValues(decoded).uid()).as("the WSL metadata beside them is intact").isEqualTo(1);
        String originEa = stored(UserXattrEa.eaName("user.Origin"));
        assertThat(new String(UserXattrEa.value(decoded.get(originEa)), StandardCharsets.UTF_8)).isEqualTo("https://x");
    }
}
