package dev.fsdriver.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * fsdriver(1) in troff (man macros), written from picocli's model of the command tree, so the
 * page lists exactly the subcommands and options the parser accepts. One page: the root
 * command's options, then a section per subcommand (nested ones too) with its synopsis,
 * description, arguments and options. Hidden options are left out, as in the usage help.
 *
 * <p>Why not picocli-codegen's ManPageGenerator: it writes AsciiDoc, and turning that into troff
 * needs Asciidoctor (AsciidoctorJ, a JRuby runtime) in the build for one page.
 */
final class ManPage {
    private ManPage() {
    }

    /** The page of {@code root} (the whole tree), as troff source. */
    static String of(CommandLine root, String version) {
        StringWriter text = new StringWriter();
        PrintWriter out = new PrintWriter(text);
        CommandSpec spec = root.getCommandSpec();
        String name = spec.name();
        out.println(".\\\" Generated from the command model by fsdriver man; do not edit.");
        out.printf(".TH %s 1 \"\" \"%s %s\" \"User Commands\"%n", quoted(name.toUpperCase()), quoted(name), quoted(version));
        out.println(".nh");
        out.println(".ad l");
        out.println(".SH NAME");
        out.println(escape(name) + " \\- " + escape(first(spec.usageMessage().description())));
        out.println(".SH SYNOPSIS");
        for (CommandSpec sub : subcommands(spec)) {
            out.println(".B " + escape(sub.qualifiedName(" ")));
            out.println(escape(arguments(sub)));
            out.println(".br");
        }
        out.println(".SH DESCRIPTION");
        paragraphs(out, spec.usageMessage().description());
        out.println(".PP");
        out.println("Every option can also come from a TOML file (\\fB\\-\\-config\\fR; keys are the long option"
                + " names) or from an environment variable FSDRIVER_\\fIOPTION\\fR (e.g. FSDRIVER_SERVER);"
                + " the command line wins, then the environment, then the file.");
        out.println(".SH OPTIONS");
        options(out, spec);
        out.println(".SH COMMANDS");
        for (CommandSpec sub : subcommands(spec)) {
            section(out, sub);
        }
        out.println(".SH FILES");
        out.println(".TP");
        out.println("\\fI$XDG_CONFIG_HOME/fsdriver/config.toml\\fR (\\fI~/.config/fsdriver/config.toml\\fR)");
        out.println("The default configuration file, read when it exists (\\fB\\-\\-config\\fR or"
                + " FSDRIVER_CONFIG name another).");
        out.println(".TP");
        out.println("\\fI/etc/fstab\\fR");
        out.println("A line such as \\fBdocs /mnt/docs fuse.fsdriver"
                + " server=tcp://host:7420,token\\-file=/etc/fsdriver/token,_netdev 0 0\\fR mounts a share at boot:"
                + " mount(8) runs \\fBfsdriver SHARE MOUNTPOINT \\-o OPTIONS\\fR, which mounts in the background.");
        out.println(".SH EXIT STATUS");
        out.println("0 on success, 1 for a failure explained in one line on standard error, 2 for wrong arguments.");
        out.println(".SH SEE ALSO");
        out.println(".BR mount.fuse3 (8),");
        out.println(".BR fusermount3 (1),");
        out.println(".BR systemd.unit (5)");
        out.flush();
        return text.toString();
    }

    /** Every subcommand below {@code spec}, depth first, each once (aliases name the same one). */
    static List<CommandSpec> subcommands(CommandSpec spec) {
        Set<CommandSpec> all = new LinkedHashSet<>();
        collect(spec, all);
        return new ArrayList<>(all);
    }

    private static void collect(CommandSpec spec, Set<CommandSpec> into) {
        for (CommandLine sub : new LinkedHashSet<>(spec.subcommands().values())) {
            CommandSpec s = sub.getCommandSpec();
            if (!s.usageMessage().hidden() && into.add(s)) {
                collect(s, into);
            }
        }
    }

    private static void section(PrintWriter out, CommandSpec spec) {
        out.println(".SS \"" + quoted(spec.qualifiedName(" ")) + "\"");
        out.println(".B " + escape(spec.qualifiedName(" ")));
        out.println(escape(arguments(spec)));
        out.println(".PP");
        paragraphs(out, spec.usageMessage().description());
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (p.hidden()) {
                continue;
            }
            out.println(".TP");
            out.println("\\fI" + escape(p.paramLabel()) + "\\fR");
            paragraphs(out, description(p.description(), p.defaultValueString(), p.completionCandidates()));
        }
        options(out, spec);
    }

    private static void options(PrintWriter out, CommandSpec spec) {
        for (OptionSpec o : spec.options()) {
            boolean sub = spec.parent() != null;
            if (o.hidden() || (sub && (o.inherited() || o.usageHelp() || o.versionHelp()))) {
                continue; // inherited ones, --help and --version are listed once, under OPTIONS
            }
            out.println(".TP");
            StringBuilder names = new StringBuilder();
            for (String n : o.names()) {
                names.append(names.isEmpty() ? "" : ", ").append("\\fB").append(escape(n)).append("\\fR");
            }
            if (o.arity().max() > 0) {
                names.append(o.names()[o.names().length - 1].startsWith("--") ? "=" : " ")
                        .append("\\fI").append(escape(o.paramLabel())).append("\\fR");
            }
            out.println(names);
            paragraphs(out, description(o.description(), o.defaultValueString(), o.completionCandidates()));
        }
    }

    /** The arguments part of the synopsis, as picocli's usage help shows it (without the name). */
    private static String arguments(CommandSpec spec) {
        String synopsis = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(Ansi.OFF)).synopsis(0)
                .replaceAll("\\s+", " ").trim();
        String name = spec.qualifiedName(" ");
        return synopsis.startsWith(name) ? synopsis.substring(name.length()).trim() : synopsis;
    }

    private static String[] description(String[] lines, String defaultValue, Iterable<String> candidates) {
        List<String> all = new ArrayList<>();
        String joined = candidates == null ? "" : String.join(", ", candidates);
        for (String l : lines) {
            all.add(l.replace("${DEFAULT-VALUE}", String.valueOf(defaultValue)).replace("${COMPLETION-CANDIDATES}", joined));
        }
        return all.toArray(String[]::new);
    }

    private static void paragraphs(PrintWriter out, String[] lines) {
        boolean firstLine = true;
        for (String l : lines) {
            if (!firstLine) {
                out.println(".br");
            }
            out.println(escape(l));
            firstLine = false;
        }
    }

    private static String first(String[] lines) {
        return lines.length == 0 ? "" : lines[0];
    }

    /** Text for a troff line: backslashes and minus signs escaped, no line taken for a request. */
    static String escape(String s) {
        String e = s.replace("\\", "\\e").replace("-", "\\-").replace("\n", " ");
        return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
    }

    /** Text inside a quoted macro argument. */
    private static String quoted(String s) {
        return escape(s).replace("\"", "\\(dq");
    }
}
