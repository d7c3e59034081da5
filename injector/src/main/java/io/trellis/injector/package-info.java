/**
 * Proxy injection: the admission webhook, the inject command and the iptables rules of the init container.
 */
package io.trellis.injector;
