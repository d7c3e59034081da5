/** The apps behind server workloads: pekko-http endpoints and the gRPC Echo service. */
package io.trellis.tests.backend;
