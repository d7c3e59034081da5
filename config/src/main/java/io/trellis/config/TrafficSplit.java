package io.trellis.config;

/** A TrafficSplit (split.smi-spec.io v1alpha1 or v1alpha2): the apex service split by weight. */
public record TrafficSplit(String name, String namespace, String service) {}
