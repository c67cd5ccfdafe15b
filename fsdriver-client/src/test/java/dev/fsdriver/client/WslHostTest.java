package dev.fsdriver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** wsl:// on sample /proc and /sys trees of each networking mode (src/test/resources/wsl). */
class WslHostTest {
    private static Path sample(String name) throws URISyntaxException {
        return Path.of(WslHostTest.class.getResource("/wsl/" + name + "/proc/version").toURI()).getParent().getParent();
    }

    @Test
    void natModeIsTheDefaultGateway() throws Exception {
        WslHost.Resolved r = WslHost.resolve("wsl://", sample("nat"), Optional::empty);
        assertThat(r.address()).isEqualTo("tcp://172.23.224.1:7420");
        assertThat(r.mode()).isEqualTo(WslHost.Mode.NAT);
        assertThat(r.how()).contains("NAT").contains("172.23.224.1");
        assertThat(WslHost.resolve("wsl://7000", sample("nat"), () -> Optional.of("nat\n")).address())
                .isEqualTo("tcp://172.23.224.1:7000");
    }

    @Test
    void mirroredModeIsLoopbackByWslinfoOrByItsLoopback0Interface() throws Exception {
        // its default route leads to the LAN's router, not to Windows: the gateway would be wrong
        WslHost.Resolved byInterface = WslHost.resolve("wsl://:7421", sample("mirrored"), Optional::empty);
        assertThat(byInterface.address()).isEqualTo("tcp://127.0.0.1:7421");
        assertThat(byInterface.mode()).isEqualTo(WslHost.Mode.MIRRORED);
        assertThat(byInterface.how()).contains("loopback0");
        WslHost.Resolved byWslinfo = WslHost.resolve("wsl://", sample("nat"), () -> Optional.of("mirrored"));
        assertThat(byWslinfo.address()).isEqualTo("tcp://127.0.0.1:7420");
        assertThat(byWslinfo.how()).contains("wslinfo");
        assertThat(WslHost.resolve("wsl://", sample("mirrored"), () -> Optional.of("nat")).address())
                .as("wslinfo wins over the heuristic").isEqualTo("tcp://192.168.1.1:7420");
    }

    @Test
    void wsl1SharesTheWindowsNetwork() throws Exception {
        WslHost.Resolved r = WslHost.resolve("wsl://", sample("wsl1"), () -> Optional.of("nat"));
        assertThat(r.address()).isEqualTo("tcp://127.0.0.1:7420");
        assertThat(r.mode()).isEqualTo(WslHost.Mode.WSL1);
    }

    @Test
    void notWslAndNoRouteAndBadPortSaySo() throws Exception {
        assertThatThrownBy(() -> WslHost.resolve("wsl://", sample("linux"), Optional::empty))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("this is not WSL").hasMessageContaining("Debian").hasMessageContaining("tcp://HOST:PORT");
        assertThatThrownBy(() -> WslHost.resolve("wsl://", sample("nat-noroute"), Optional::empty))
                .hasMessageContaining("no default route");
        assertThatThrownBy(() -> WslHost.resolve("wsl://x", sample("nat"), Optional::empty))
                .hasMessageContaining("expected wsl:// or wsl://PORT");
        assertThatThrownBy(() -> WslHost.resolve("wsl://70000", sample("nat"), Optional::empty))
                .hasMessageContaining("expected wsl:// or wsl://PORT");
    }

    @Test
    void defaultGatewayTakesTheLowestMetricDefaultRoute() {
        String route = """
                Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
                eth0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
                eth1\t00000000\t01E017AC\t0003\t0\t0\t100\t00000000\t0\t0\t0
                eth1\t00E017AC\t00000000\t0001\t0\t0\t0\t00F0FFFF\t0\t0\t0
                """;
        assertThat(WslHost.defaultGateway(route)).isEqualTo("172.23.224.1");
        assertThat(WslHost.defaultGateway("Iface\tDestination\n")).isNull();
    }
}
