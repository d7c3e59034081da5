/**
 * End-to-end scenarios: real clients (curl, nghttp, Java's HttpClient, a pekko-grpc client)
 * call a service through two Trellis proxies, client workload outbound then server workload
 * inbound, each proxy a separate JVM started as users start it. One class per scenario,
 * {@code <Subject><Aspect>Test}.
 *
 * <p>Run one: {@code ./mvnw -B -pl tests -am test -Dtest=GrpcThroughMeshTest
 * -Dsurefire.failIfNoSpecifiedTests=false}. The proxies' output is kept under
 * {@code tests/target/mesh-logs/<TestClass>/}. With {@code -Dtrellis.tests.bypassProxies=true}
 * (or {@code MeshFixture.of(..).bypassingProxies()} in one class) clients call the apps directly,
 * which checks a scenario's own expectations; proxy-only scenarios are then skipped.
 */
package io.trellis.tests;
