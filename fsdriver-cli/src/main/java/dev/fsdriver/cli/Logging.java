package dev.fsdriver.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.io.OutputStream;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Logs on stderr through Logback, set up in code from --log-format, --log-level and -v. Text:
 * "LEVEL message" ({@code -v}: the logger and the event's key-value pairs too). JSON: one object
 * per line with time, level, logger, thread, message and every key-value pair as a field
 * (logstash-logback-encoder), for journald, Loki or anything that reads JSON lines.
 */
final class Logging {
    enum Format { text, json }

    enum LogLevel { error, warn, info, debug, trace }

    /**
     * gRPC, Netty and the JDK's own loggers stay at info at most: -v is about fsdriver, not frame
     * dumps or the JDK's debug records (Runtime.exit with a stack trace).
     */
    private static final String[] QUIET = {"io.grpc", "java", "javax", "jdk", "sun"};
    /** Netty warns about TCP options it ignores on Unix sockets: noise for users. */
    private static final String NETTY_BOOTSTRAP = "io.grpc.netty.shaded.io.netty.bootstrap";

    private Logging() {}

    /** Sets up the process's logging; {@code level} null means info, or debug with {@code verbose}. */
    static void configure(Format format, LogLevel level, boolean verbose) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            configure(ctx, format, level, verbose, null);
        }
    }

    /** As {@link #configure(Format, LogLevel, boolean)} on {@code ctx}, to {@code out} (null: stderr). */
    static void configure(LoggerContext ctx, Format format, LogLevel level, boolean verbose, OutputStream out) {
        ctx.reset();
        if (out == null) {
            // gRPC logs through java.util.logging: bridged into these lines, with JUL's levels
            // kept at Logback's so that records nobody prints are not even made
            LevelChangePropagator propagator = new LevelChangePropagator();
            propagator.setContext(ctx);
            propagator.setResetJUL(true);
            propagator.start();
            ctx.addListener(propagator);
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
        Encoder<ILoggingEvent> encoder = format == Format.json ? json(ctx) : text(ctx, verbose);
        OutputStreamAppender<ILoggingEvent> appender;
        if (out == null) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            console.setTarget("System.err");
            appender = console;
        } else {
            appender = new OutputStreamAppender<>();
            appender.setOutputStream(out);
        }
        appender.setContext(ctx);
        appender.setName(format.name());
        appender.setEncoder(encoder);
        appender.setImmediateFlush(true);
        appender.start();
        Level root = Level.toLevel((level != null ? level : verbose ? LogLevel.debug : LogLevel.info).name());
        Logger rootLogger = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        rootLogger.setLevel(root);
        rootLogger.addAppender(appender);
        for (String quiet : QUIET) {
            ctx.getLogger(quiet).setLevel(root.isGreaterOrEqual(Level.INFO) ? root : Level.INFO);
        }
        ctx.getLogger(NETTY_BOOTSTRAP).setLevel(Level.ERROR);
    }

    /** From now on, text lines start with the wall-clock time (the Windows service's log file). */
    static void withTimes() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        var appenders = ctx.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
        while (appenders.hasNext()) {
            if (appenders.next() instanceof OutputStreamAppender<ILoggingEvent> a
                    && a.getEncoder() instanceof PatternLayoutEncoder old) {
                PatternLayoutEncoder e = new PatternLayoutEncoder();
                e.setContext(ctx);
                e.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSX} " + old.getPattern());
                e.start();
                a.setEncoder(e);
            }
        }
    }

    private static Encoder<ILoggingEvent> text(LoggerContext ctx, boolean verbose) {
        PatternLayoutEncoder e = new PatternLayoutEncoder();
        e.setContext(ctx);
        // %kvp prints key="value" pairs, nothing for none (then no trailing space either)
        e.setPattern(verbose ? "%level %logger{0} %msg%replace( %kvp){'^ $', ''}%n" : "%level %msg%n");
        e.start();
        return e;
    }

    private static Encoder<ILoggingEvent> json(LoggerContext ctx) {
        LogstashEncoder e = new LogstashEncoder();
        e.setContext(ctx);
        LogstashFieldNames names = new LogstashFieldNames();
        names.setTimestamp("time");
        names.setLogger("logger");
        names.setThread("thread");
        names.setVersion("[ignore]");
        names.setLevelValue("[ignore]");
        e.setFieldNames(names);
        e.start();
        return e;
    }

    /**
     * Logback's default before the command line is read (and in tests that load this module):
     * what the command does without options, instead of Logback's debug-level console default.
     */
    public static final class Defaults extends ContextAwareBase implements Configurator {
        @Override
        public ExecutionStatus configure(LoggerContext ctx) {
            Logging.configure(ctx, Format.text, null, false, null);
            return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
        }
    }
}
