package dev.fsdriver.it.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Applies one sequence of operations, step by step, to a worker's directory on the native side
 * and on the side under test, comparing the outcomes after every step. Stops at the first
 * difference and returns its description (seed, step, operation, both outcomes, the steps
 * before it); null when every step agreed. The whole log goes to a file.
 */
final class Worker implements Callable<String> {
    private static final int REPLAY = 30;

    final String name;
    final Side nat;
    final Side other;
    private final String label;
    private final OpGenerator gen;
    private final List<Op> script;
    private final int ops;
    private final int settleEvery;
    private final Callable<String> settle;
    private final Path log;
    private final List<String> lines = new ArrayList<>();
    volatile String current = "not started";
    volatile boolean failed;

    /**
     * @param gen         the generator, or null to run {@code script}
     * @param settleEvery every so many steps call {@code settle} (0: never); it returns a failure or null
     */
    Worker(String name, String label, Side nat, Side other, OpGenerator gen, List<Op> script, int ops,
            int settleEvery, Callable<String> settle, Path log) {
        this.name = name;
        this.label = label;
        this.nat = nat;
        this.other = other;
        this.gen = gen;
        this.script = script;
        this.ops = gen != null ? ops : script.size();
        this.settleEvery = settleEvery;
        this.settle = settle;
        this.log = log;
    }

    @Override
    public String call() throws Exception {
        try {
            for (int step = 0; step < ops; step++) {
                Op op = gen != null ? gen.next() : script.get(step);
                current = "step " + step + ": " + op;
                String a = nat.apply(op);
                String b = other.apply(op);
                lines.add(step + ": " + op + " -> " + a + (a.equals(b) ? "" : "  <<< " + other.name + ": " + b));
                if (!a.equals(b)) {
                    return fail(step + ": " + op, a, b);
                }
                if (settle != null && settleEvery > 0 && (step + 1) % settleEvery == 0) {
                    current = "settling after step " + step;
                    String why = settle.call();
                    if (why != null) {
                        return fail("settling after step " + step, "", why);
                    }
                }
            }
            current = "closing descriptors";
            String a = nat.closeAll(), b = other.closeAll();
            if (!a.equals(b)) {
                return fail("closing every descriptor", a, b);
            }
            current = "done";
            return null;
        } finally {
            writeLog();
        }
    }

    private String fail(String what, String nativeResult, String otherResult) {
        failed = true;
        StringBuilder sb = new StringBuilder();
        sb.append(label).append(", worker ").append(name).append(" (").append(other.name).append("): ")
                .append(what).append("\n    native: ").append(nativeResult)
                .append("\n    ").append(other.name).append(": ").append(otherResult)
                .append("\n  last steps (full log ").append(log).append("):\n");
        for (String l : lines.subList(Math.max(0, lines.size() - REPLAY), lines.size())) {
            sb.append("    ").append(l).append('\n');
        }
        return sb.toString();
    }

    private void writeLog() {
        try {
            Files.createDirectories(log.getParent());
            Files.write(log, lines);
        } catch (IOException e) {
            lines.add("log not written: " + e);
        }
    }
}
