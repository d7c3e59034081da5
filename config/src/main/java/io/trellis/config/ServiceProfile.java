package io.trellis.config;

/**
 * A ServiceProfile (linkerd.io/v1alpha2). {@code name} is the service's FQDN, as in
 * {@code web-svc.demo.svc.cluster.local}.
 */
public record ServiceProfile(String name, String namespace) {}
