package io.trellis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The commands' logging comes from {@link LogSetup}, not from an XML file. */
class LogSetupTest {

  @Test
  void logbackIsConfiguredInCodeToStderrWithPekkoAndKamonAtWarn() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ConsoleAppender<?> stderr = (ConsoleAppender<?>) root.getAppender("STDERR");
    assertEquals("System.err", stderr.getTarget());
    assertEquals(LogSetup.PATTERN, ((PatternLayoutEncoder) stderr.getEncoder()).getPattern());
    assertEquals(Level.WARN, context.getLogger("org.apache.pekko").getLevel());
    assertEquals(Level.WARN, context.getLogger("kamon").getLevel());
    assertNull(
        LogSetup.class.getClassLoader().getResource("logback.xml"),
        "a logback.xml would be ignored: the configurator runs first");
  }

  @Test
  void rootLevelComesFromTrellisLogLevel() {
    assertEquals(Level.INFO, LogSetup.rootLevel(null));
    assertEquals(Level.DEBUG, LogSetup.rootLevel("debug"));
    assertEquals(Level.WARN, LogSetup.rootLevel(" WARN "));
    assertEquals(Level.INFO, LogSetup.rootLevel("loud"), "not a level: INFO");
    assertTrue(Level.INFO.isGreaterOrEqual(LogSetup.rootLevel("loud")));
  }
}
