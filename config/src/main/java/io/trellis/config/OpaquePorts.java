package io.trellis.config;

import java.util.Set;

/**
 * Ports whose connections skip protocol detection, so that protocols where the server speaks
 * first (SMTP, MySQL) never wait for a client byte. Linkerd's default list.
 */
public final class OpaquePorts {
  /** SMTP, submission, MySQL, MySQL Galera, PostgreSQL, Redis, Elasticsearch, memcached. */
  public static final Set<Integer> DEFAULT = Set.of(25, 587, 3306, 4444, 5432, 6379, 9300, 11211);

  private OpaquePorts() {}
}
