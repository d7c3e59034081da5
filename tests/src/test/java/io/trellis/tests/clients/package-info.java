/** Command-line clients (curl, nghttp) run as processes with a deadline. */
package io.trellis.tests.clients;
