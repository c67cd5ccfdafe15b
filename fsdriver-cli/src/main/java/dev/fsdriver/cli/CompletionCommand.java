package dev.fsdriver.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fsdriver completion}: the bash (and zsh, with bashcompinit) completion script, picocli's. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = "Print the bash completion script: source <(fsdriver completion), or install it with 'fsdriver install'.")
final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    static String script() {
        return AutoComplete.bash("fsdriver", Main.commandLine());
    }

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(script());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
