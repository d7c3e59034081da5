/** The {@code trellis} command line (picocli): one class per command. */
package io.trellis.cli;
