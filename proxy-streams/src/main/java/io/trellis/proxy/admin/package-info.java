/** The admin listener (Linkerd's 4191): {@code /metrics}, {@code /ready}, {@code /live}. */
package io.trellis.proxy.admin;
