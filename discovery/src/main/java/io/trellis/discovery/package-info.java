/**
 * Discovery sources: where a proxy or the control plane learns the mesh. This module has the
 * HOCON source ({@code mesh.conf} watched for changes); the Kubernetes and destination-API sources
 * implement the same {@link io.trellis.discovery.MeshUpdates}.
 */
package io.trellis.discovery;
