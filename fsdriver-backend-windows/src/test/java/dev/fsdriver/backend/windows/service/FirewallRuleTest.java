package dev.fsdriver.backend.windows.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class FirewallRuleTest {
    private static FirewallRule.AdapterAddress addr(String name, int a, int b, int c, int d, int prefix) {
        return new FirewallRule.AdapterAddress(name, new byte[] {(byte) a, (byte) b, (byte) c, (byte) d}, prefix);
    }

    @Test
    void theWslAdapterSubnetIsTheAddressMaskedToItsPrefix() {
        List<FirewallRule.AdapterAddress> seen = List.of(addr("Ethernet", 192, 168, 1, 23, 24),
                addr("vEthernet (WSL (Hyper-V firewall))", 172, 23, 231, 1, 20), addr("Loopback Pseudo-Interface 1", 127, 0, 0, 1, 8));
        assertThat(FirewallRule.subnet(seen, FirewallRule.WSL_ADAPTER)).isEqualTo("172.23.224.0/20");
        assertThat(FirewallRule.subnet(List.of(addr("vEthernet (WSL)", 172, 23, 224, 1, 20)), FirewallRule.WSL_ADAPTER))
                .isEqualTo("172.23.224.0/20");
        assertThat(FirewallRule.subnet(seen, "ethernet")).isEqualTo("192.168.1.0/24");
        assertThat(FirewallRule.cidr(new byte[] {(byte) 255, 1, 2, 3}, 0)).isEqualTo("0.0.0.0/0");
        assertThat(FirewallRule.cidr(new byte[] {(byte) 255, 1, 2, 3}, 32)).isEqualTo("255.1.2.3/32");
    }

    @Test
    void noWslAdapterSaysWhatWasSeenAndWhatToDo() {
        assertThatThrownBy(() -> FirewallRule.subnet(List.of(addr("Ethernet", 10, 0, 0, 5, 8)), FirewallRule.WSL_ADAPTER))
                .hasMessageContaining("vEthernet (WSL").hasMessageContaining("start WSL").hasMessageContaining("'Ethernet' 10.0.0.0/8");
    }

    @Test
    void netshCommandsForTheListenPorts() {
        List<Integer> ports = FirewallRule.tcpPorts(List.of("tcp://0.0.0.0:7420", "unix:///x.sock", "tcp://[::]:7420", "tcp://172.23.224.1:7500"), 1);
        assertThat(ports).containsExactly(7420, 7500);
        assertThat(FirewallRule.tcpPorts(List.of(), 7420)).containsExactly(7420);
        assertThat(FirewallRule.addCommand(FirewallRule.ruleName("fsdriver"), ports, "172.23.224.0/20")).containsExactly("netsh",
                "advfirewall", "firewall", "add", "rule", "name=fsdriver-fsdriver-WSL", "dir=in", "action=allow", "protocol=TCP",
                "localport=7420,7500", "remoteip=172.23.224.0/20", "profile=any");
        assertThat(FirewallRule.deleteCommand("fsdriver-x-WSL")).containsExactly("netsh", "advfirewall", "firewall", "delete",
                "rule", "name=fsdriver-x-WSL");
        assertThatThrownBy(() -> FirewallRule.addCommand("r", List.of(), "1.2.3.0/24")).hasMessageContaining("tcp://");
    }
}
