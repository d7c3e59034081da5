/**
 * The demo app, in the spirit of Linkerd's emojivoto: {@code web} (HTTP page and JSON API),
 * {@code emoji} and {@code voting} (gRPC), and {@code vote-bot} (steady traffic). Voting for
 * {@link io.trellis.demo.VotingApp#FAILING_SHORTCODE} always fails, so the mesh has a real
 * failure to find. {@link io.trellis.demo.DemoApps} runs all four from the demo's mesh.conf;
 * each app also has a main of its own.
 */
package io.trellis.demo;
