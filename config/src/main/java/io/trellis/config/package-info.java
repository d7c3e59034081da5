/**
 * The mesh model: {@code mesh.conf} (HOCON) and the Kubernetes-shaped resources it lists
 * (ServiceProfile linkerd.io/v1alpha2, TrafficSplit split.smi-spec.io), parsed into immutable
 * records and validated with errors that name the file, line and key path.
 */
package io.trellis.config;
