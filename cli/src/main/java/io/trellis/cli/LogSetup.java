package io.trellis.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Locale;

/**
 * The logging of every {@code trellis} command, set up in code (found by logback as a {@link
 * Configurator} service) rather than read from a {@code logback.xml}: parsing XML made logback load
 * its configuration framework and an XML parser, about 400 classes and 2 MB of metaspace and
 * symbols that each sidecar proxy kept for its whole life (bench/RESULTS.md, session 4).
 *
 * <p>Logs go to stderr (stdout is for command output) as {@code HH:mm:ss.SSS LEVEL logger - msg};
 * the root level is {@code -Dtrellis.log.level} (INFO by default); Pekko's and Kamon's own INFO
 * lines (start-up chatter) are noise for a sidecar, so they log from WARN. A user's own file still
 * wins: with {@code -Dlogback.configurationFile}, or a {@code logback-test.xml} on the class path
 * (test modules), logback reads that instead.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null
        || LogSetup.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(rootLevel(System.getProperty("trellis.log.level")));
    root.addAppender(stderr);
    context.getLogger("org.apache.pekko").setLevel(Level.WARN);
    context.getLogger("kamon").setLevel(Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * The level named by {@code -Dtrellis.log.level}: INFO when unset, and INFO with a line on
   * stderr saying why when it names no level.
   */
  static Level rootLevel(String name) {
    if (name == null) {
      return Level.INFO;
    }
    Level level = Level.toLevel(name.trim().toUpperCase(Locale.ROOT), null);
    if (level == null) {
      System.err.println(
          "trellis: -Dtrellis.log.level=" + name + " is not a log level (TRACE, DEBUG, INFO, WARN,"
              + " ERROR, OFF); logging at INFO");
      return Level.INFO;
    }
    return level;
  }
}
