package dev.fsdriver.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fsdriver man}: the fsdriver(1) page in troff, from the command model ({@link ManPage}). */
@Command(name = "man", mixinStandardHelpOptions = true,
        description = "Print the man page (troff): fsdriver man | man -l -, or install it with 'fsdriver install'.")
final class ManCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    static String page() {
        // the page is for every user: the default config file is named in FILES, not as this user's path
        System.clearProperty("fsdriver.defaultConfig");
        return ManPage.of(Main.commandLine(), Main.version());
    }

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(page());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
