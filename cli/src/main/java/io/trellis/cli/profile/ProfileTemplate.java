package io.trellis.cli.profile;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The commented ServiceProfile of {@code trellis profile --template}: one example route with its
 * response class, retries and timeout explained, and the retry budget's defaults spelled out, to
 * edit by hand. It is a valid profile as it stands.
 */
public final class ProfileTemplate {
  private static final String RESOURCE = "template.yaml";

  private ProfileTemplate() {}

  /** The template for {@code service} in {@code namespace}, as commented YAML. */
  public static String yaml(String service, String namespace) {
    return text().replace("${SERVICE}", service).replace("${NAMESPACE}", namespace);
  }

  /** The same profile as JSON (which has no comments). */
  public static String json(String service, String namespace) {
    Map<String, Object> doc =
        new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml(service, namespace));
    return ProfileWriter.json(doc);
  }

  private static String text() {
    try (InputStream in = ProfileTemplate.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
