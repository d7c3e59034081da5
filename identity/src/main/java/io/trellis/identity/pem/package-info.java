/**
 * PEM encoding of certificates and private keys (PKCS#8 on write; PKCS#8 or SEC1 on read) and
 * writing secrets to disk: owner-only permissions from the moment the file exists, atomically
 * replaced so a reader never sees half a key.
 */
package io.trellis.identity.pem;
