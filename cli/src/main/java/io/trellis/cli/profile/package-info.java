/**
 * {@code trellis profile}: ServiceProfiles generated from a template, an OpenAPI (Swagger 2 or
 * OpenAPI 3) spec, a .proto file or observed traffic. Each source yields {@link
 * io.trellis.cli.profile.GeneratedProfile.Route}s; {@link io.trellis.cli.profile.ProfileWriter}
 * prints them as YAML or JSON that the config module's loader reads back.
 */
package io.trellis.cli.profile;
