package io.insync.ops.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * Counts the journal writes Cassandra has coordinated so far, from its own metrics (the
 * {@code system_views.coordinator_write_latency} virtual table of Cassandra 4.1+, one row per table,
 * {@code count} = write requests since start). Read at both ends of a measured window, it gives the
 * journal writes per delivered message: a figure the machine's speed does not change, so a change to
 * the write path shows in it even on a loaded box. Empty when Cassandra does not answer.
 */
public final class JournalWrites implements AutoCloseable {
  private final CqlSession session;
  private final String keyspace;
  private final String table;

  private JournalWrites(CqlSession session, String keyspace, String table) {
    this.session = session;
    this.keyspace = keyspace;
    this.table = table;
  }

  /** Connects to Cassandra (loopback only, like the rest of the bench); never throws: null if it cannot. */
  public static JournalWrites open(InetSocketAddress cassandra, String datacenter, String keyspace, String table) {
    try {
      CqlSession s = CqlSession.builder()
          .addContactPoint(cassandra)
          .withLocalDatacenter(datacenter)
          .withConfigLoader(DriverConfigLoader.programmaticBuilder()
              .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(5))
              .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(5))
              .build())
          .build();
      return new JournalWrites(s, keyspace, table);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Write requests coordinated for the journal table so far; empty if the metric cannot be read. */
  public OptionalLong count() {
    try {
      Row r = session.execute("SELECT count FROM system_views.coordinator_write_latency WHERE keyspace_name = ? "
          + "AND table_name = ? ALLOW FILTERING", keyspace, table).one();
      return r == null ? OptionalLong.empty() : OptionalLong.of(r.getLong("count"));
    } catch (RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /** Writes between two readings; -1 when either is missing (or the counter went back: a restart). */
  public static long between(OptionalLong before, OptionalLong after) {
    if (before.isEmpty() || after.isEmpty() || after.getAsLong() < before.getAsLong()) return -1;
    return after.getAsLong() - before.getAsLong();
  }

  @Override
  public void close() {
    session.close();
  }
}
