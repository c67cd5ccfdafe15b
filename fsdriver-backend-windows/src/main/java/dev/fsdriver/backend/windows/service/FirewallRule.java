package dev.fsdriver.backend.windows.service;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code service install --firewall}: one Windows Firewall inbound rule for the server's TCP
 * port(s), allowing only the WSL virtual network (the subnet of the {@code vEthernet (WSL...)}
 * adapter, from GetAdaptersAddresses). Pure: picks the subnet and builds the netsh commands.
 */
public final class FirewallRule {
    /** What WSL2's NAT adapter is called: "vEthernet (WSL)", newer: "vEthernet (WSL (Hyper-V firewall))". */
    public static final String WSL_ADAPTER = "vEthernet (WSL";

    /** One IPv4 unicast address of an adapter, with its on-link prefix length. */
    public record AdapterAddress(String adapter, byte[] address, int prefixLength) {}

    private FirewallRule() {}

    /** The rule's name (no spaces, so netsh needs no quoting). */
    public static String ruleName(String service) {
        return "fsdriver-" + service + "-WSL";
    }

    /**
     * The subnet (a.b.c.d/len) of the first adapter whose name starts with {@code adapterPrefix}
     * (case-insensitive); the message names the adapters seen when none does.
     */
    public static String subnet(List<AdapterAddress> addresses, String adapterPrefix) {
        for (AdapterAddress a : addresses) {
            if (a.adapter().regionMatches(true, 0, adapterPrefix, 0, adapterPrefix.length())) {
                return cidr(a.address(), a.prefixLength());
            }
        }
        List<String> seen = addresses.stream().map(a -> "'" + a.adapter() + "' " + cidr(a.address(), a.prefixLength())).toList();
        throw new IllegalArgumentException("no network adapter named '" + adapterPrefix + "...' with an IPv4 address"
                + (adapterPrefix.equals(WSL_ADAPTER) ? " (WSL2 creates it while a distribution runs: start WSL, then install again)" : "")
                + "; adapters: " + (seen.isEmpty() ? "none" : String.join(", ", seen)));
    }

    /** address masked to its prefix, as a.b.c.d/len. */
    public static String cidr(byte[] address, int prefixLength) {
        if (address.length != 4 || prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("not an IPv4 address/prefix");
        }
        long a = ((address[0] & 0xFFL) << 24) | ((address[1] & 0xFF) << 16) | ((address[2] & 0xFF) << 8) | (address[3] & 0xFF);
        long mask = prefixLength == 0 ? 0 : (0xFFFFFFFFL << (32 - prefixLength)) & 0xFFFFFFFFL;
        long n = a & mask;
        return String.format(Locale.ROOT, "%d.%d.%d.%d/%d", n >>> 24, (n >>> 16) & 0xFF, (n >>> 8) & 0xFF, n & 0xFF, prefixLength);
    }

    /** The TCP ports of the --listen URIs (unix:// ones need no rule); default when none given. */
    public static List<Integer> tcpPorts(List<String> listenUris, int defaultPort) {
        if (listenUris.isEmpty()) {
            return List.of(defaultPort);
        }
        List<Integer> ports = new ArrayList<>();
        for (String u : listenUris) {
            if (u.startsWith("tcp://")) {
                int p = URI.create(u).getPort();
                if (p <= 0) {
                    throw new IllegalArgumentException("--listen " + u + " has no port");
                }
                if (!ports.contains(p)) {
                    ports.add(p);
                }
            }
        }
        return ports;
    }

    /** netsh advfirewall firewall add rule ... for TCP {@code ports} from {@code remote} only. */
    public static List<String> addCommand(String rule, List<Integer> ports, String remote) {
        if (ports.isEmpty()) {
            throw new IllegalArgumentException("--firewall: no tcp:// --listen address to open");
        }
        return List.of("netsh", "advfirewall", "firewall", "add", "rule", "name=" + rule, "dir=in", "action=allow",
                "protocol=TCP", "localport=" + String.join(",", ports.stream().map(String::valueOf).toList()),
                "remoteip=" + remote, "profile=any");
    }

    /** netsh advfirewall firewall delete rule name=RULE. */
    public static List<String> deleteCommand(String rule) {
        return List.of("netsh", "advfirewall", "firewall", "delete", "rule", "name=" + rule);
    }
}
