/**
 * How mesh.conf and its YAML resources are read and checked. Not API: only {@link
 * io.trellis.config.MeshConfigLoader} calls into here, and these classes may change freely.
 *
 * <p>Readers walk the parsed tree (typesafe-config's values, snakeyaml's composed nodes) rather
 * than binding to beans, because every value must keep its file and line for the error message.
 * Plain parsers (addresses, durations, quantities) throw {@link IllegalArgumentException} with a
 * reason; the readers add the location.
 */
package io.trellis.config.internal;
