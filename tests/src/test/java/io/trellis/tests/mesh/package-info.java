/**
 * The harness: a mesh.conf per test class on its own random loopback block
 * ({@link io.trellis.tests.mesh.LoopbackBlock}), proxy JVMs ({@link
 * io.trellis.tests.mesh.ProxyProcess}), and the JUnit extension that ties them together
 * ({@link io.trellis.tests.mesh.MeshFixture}). Waiting is polling with a deadline, never sleeping.
 */
package io.trellis.tests.mesh;
