/**
 * Trust bundles: the set of trust anchors a proxy accepts. A bundle holds more than one anchor
 * while an anchor is rotated (the overlap bundle), so leaves from the old and the new chain
 * verify at once. Verification is the JDK's PKIX validator (path length, key usage, validity).
 */
package io.trellis.identity.trust;
