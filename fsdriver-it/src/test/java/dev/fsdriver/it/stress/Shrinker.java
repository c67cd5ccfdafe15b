package dev.fsdriver.it.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a failing worker's log into a short reproduction: replays it as a script (each try in
 * a fresh directory of the same mount) and drops chunks of operations, halving the chunk size,
 * while the script still fails. The result is a list of operations for a hand-written test.
 */
public final class Shrinker {
    /** Runs a list of operations in a fresh directory of the given name; returns the failures. */
    public interface Script {
        List<String> run(String name, List<Op> ops) throws Exception;
    }

    private final Script engine;
    private int tries;

    public Shrinker(StressRun engine) {
        this(engine::script);
    }

    /** With another way to run a list, e.g. on the served directory ({@link StressRun#serverScript}). */
    public Shrinker(Script script) {
        this.engine = script;
    }

    /** The operations of a worker's log ("step: op -> outcome" lines), up to and including {@code lastStep}. */
    public static List<Op> readLog(Path log, int lastStep) throws IOException {
        List<Op> ops = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            int colon = line.indexOf(": "), arrow = line.indexOf(" -> ");
            if (colon < 0 || arrow < 0 || Integer.parseInt(line.substring(0, colon)) > lastStep) {
                continue;
            }
            ops.add(Op.parse(line.substring(colon + 2, arrow)));
        }
        return ops;
    }

    /**
     * A shorter list that still fails with a failure text containing {@code mustContain} (the
     * input if it does not fail so at all), and its failures.
     */
    public Result shrink(List<Op> ops, String mustContain) throws Exception {
        List<String> f = engine.run("shrink" + tries++, ops);
        if (!matches(f, mustContain)) {
            return new Result(ops, f);
        }
        List<Op> cur = new ArrayList<>(ops);
        List<String> last = f;
        for (int chunk = Math.max(1, cur.size() / 2); chunk >= 1; chunk /= 2) {
            for (int i = 0; i + chunk <= cur.size(); ) {
                List<Op> cand = new ArrayList<>(cur.subList(0, i));
                cand.addAll(cur.subList(i + chunk, cur.size()));
                List<String> cf = engine.run("shrink" + tries++, cand);
                if (matches(cf, mustContain)) {
                    cur = cand;
                    last = cf;
                } else {
                    i += chunk;
                }
            }
        }
        return new Result(cur, last);
    }

    private static boolean matches(List<String> failures, String mustContain) {
        return failures.stream().anyMatch(f -> f.contains(mustContain));
    }

    public record Result(List<Op> ops, List<String> failures) {}
}
