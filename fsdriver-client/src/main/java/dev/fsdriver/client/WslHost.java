package dev.fsdriver.client;

import dev.fsdriver.protocol.Protocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code wsl://[PORT]}: the Windows host as seen from the WSL2 distribution this runs in.
 *
 * <ul>
 *   <li>Not WSL ({@code /proc/version} names no Microsoft kernel and there is no
 *       {@code /proc/sys/fs/binfmt_misc/WSLInterop}): an error saying so.</li>
 *   <li>WSL1, or WSL2 in <em>mirrored</em> networking mode: Windows shares the loopback:
 *       {@code 127.0.0.1}.</li>
 *   <li>WSL2 in the default <em>NAT</em> mode: Windows is the default gateway of the WSL
 *       virtual network, read from {@code /proc/net/route}.</li>
 * </ul>
 * The mode comes from {@code wslinfo --networking-mode} (WSL 2.3 and later) when that command
 * exists; else mirrored mode is recognised by its {@code loopback0} interface
 * ({@code /sys/class/net/loopback0}), which NAT mode does not have.
 */
public final class WslHost {
    /** What was found, for the message and the tests. */
    public enum Mode { WSL1, MIRRORED, NAT }

    /** The resolved server address, "tcp://HOST:PORT", and how it was found. */
    public record Resolved(String address, Mode mode, String how) {}

    private WslHost() {}

    public static boolean isWslAddress(String address) {
        return address.startsWith("wsl://");
    }

    /** Resolves on this machine (root "/", wslinfo run if present). */
    public static Resolved resolve(String address) {
        return resolve(address, Path.of("/"), WslHost::runWslinfo);
    }

    /**
     * @param root     where proc and sys are ("/" or a directory of recorded files)
     * @param wslinfo  the output of {@code wslinfo --networking-mode}, empty when there is no wslinfo
     * @throws IllegalArgumentException when {@code address} is malformed or this is not WSL
     */
    public static Resolved resolve(String address, Path root, Supplier<Optional<String>> wslinfo) {
        int port = port(address);
        String version = read(root.resolve("proc/version")).orElse("");
        boolean interop = Files.exists(root.resolve("proc/sys/fs/binfmt_misc/WSLInterop"));
        String v = version.toLowerCase(Locale.ROOT);
        if (!v.contains("microsoft") && !interop) {
            throw new IllegalArgumentException("wsl:// works only inside WSL: this is not WSL (/proc/version: "
                    + (version.isBlank() ? "unreadable" : version.strip()) + "); give --server tcp://HOST:PORT");
        }
        if (version.contains("Microsoft") && !v.contains("wsl2")) { // WSL1 kernels say "-Microsoft"
            return new Resolved("tcp://127.0.0.1:" + port, Mode.WSL1, "WSL1 shares the Windows network");
        }
        Optional<String> mode = wslinfo.get().map(s -> s.strip().toLowerCase(Locale.ROOT));
        boolean mirrored = mode.map(m -> m.equals("mirrored"))
                .orElseGet(() -> Files.exists(root.resolve("sys/class/net/loopback0")));
        String how = mode.isPresent() ? "wslinfo --networking-mode: " + mode.get()
                : mirrored ? "mirrored mode (interface loopback0)" : "NAT mode (no interface loopback0)";
        if (mirrored) {
            return new Resolved("tcp://127.0.0.1:" + port, Mode.MIRRORED, how);
        }
        String route = read(root.resolve("proc/net/route"))
                .orElseThrow(() -> new IllegalArgumentException("wsl://: cannot read /proc/net/route to find the Windows host"));
        String gateway = defaultGateway(route);
        if (gateway == null) {
            throw new IllegalArgumentException("wsl://: no default route in /proc/net/route (" + how
                    + "): the Windows host is unknown; give --server tcp://HOST:PORT");
        }
        return new Resolved("tcp://" + gateway + ":" + port, Mode.NAT, how + ", default gateway " + gateway);
    }

    static int port(String address) {
        if (!isWslAddress(address)) {
            throw new IllegalArgumentException("not a wsl:// address: " + address);
        }
        String rest = address.substring("wsl://".length());
        if (rest.startsWith(":")) {
            rest = rest.substring(1);
        }
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        if (rest.isEmpty()) {
            return Protocol.DEFAULT_PORT;
        }
        try {
            int p = Integer.parseInt(rest);
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad address '" + address + "': expected wsl:// or wsl://PORT");
        }
    }

    /**
     * The gateway of the default route (destination and mask 0, flag RTF_GATEWAY) with the
     * lowest metric, as a dotted quad; /proc/net/route writes addresses as little-endian hex.
     */
    static String defaultGateway(String route) {
        String best = null;
        long bestMetric = Long.MAX_VALUE;
        List<String> lines = route.lines().toList();
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8) {
                continue;
            }
            try {
                long flags = Long.parseLong(f[3], 16);
                long metric = Long.parseLong(f[6]);
                if (f[1].equals("00000000") && f[7].equals("00000000") && (flags & 0x3) == 0x3 && metric < bestMetric) {
                    long g = Long.parseLong(f[2], 16);
                    best = (g & 0xff) + "." + ((g >> 8) & 0xff) + "." + ((g >> 16) & 0xff) + "." + ((g >> 24) & 0xff);
                    bestMetric = metric;
                }
            } catch (NumberFormatException e) {
                // not a route line
            }
        }
        return best;
    }

    private static Optional<String> read(Path p) {
        try {
            return Optional.of(Files.readString(p, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** {@code wslinfo --networking-mode} ("nat", "mirrored"), empty if it is not there or fails. */
    private static Optional<String> runWslinfo() {
        try {
            Process p = new ProcessBuilder("wslinfo", "--networking-mode").redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return out.isBlank() ? Optional.empty() : Optional.of(out.strip());
        } catch (IOException e) {
            return Optional.empty(); // no wslinfo (older WSL, or not WSL)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
