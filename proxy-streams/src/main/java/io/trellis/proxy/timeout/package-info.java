/** ServiceProfile route timeouts: a deadline over the whole request, retries included. */
package io.trellis.proxy.timeout;
