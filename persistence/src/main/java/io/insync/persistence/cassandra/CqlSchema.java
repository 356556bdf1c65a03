package io.insync.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The production CQL schema ({@code /schema/insync-schema.cql} on the classpath): keyspaces
 * {@code insync_journal} and {@code insync_snapshot} and the tables pekko-persistence-cassandra
 * 1.1.0 uses. Operators run the file with cqlsh; tests and development nodes use {@link #apply}.
 * Every statement is {@code IF NOT EXISTS}, so applying twice is harmless (an existing keyspace
 * keeps its replication).
 */
public final class CqlSchema {

  /** Classpath location of the script. */
  public static final String RESOURCE = "/schema/insync-schema.cql";

  private static final Pattern REPLICATION =
      Pattern.compile("\\{\\s*'class'\\s*:\\s*'NetworkTopologyStrategy'[^}]*}");
  private static final Pattern DATACENTER = Pattern.compile("[A-Za-z0-9_.-]+");

  private CqlSchema() {}

  /**
   * Runs every statement of the script on {@code session}, with each keyspace replicated
   * {@code replicationFactor} times in {@code datacenter} (NetworkTopologyStrategy).
   */
  public static void apply(CqlSession session, String datacenter, int replicationFactor) {
    apply(session, Map.of(datacenter, replicationFactor));
  }

  /**
   * Runs every statement of the script on {@code session}, with each keyspace replicated in every data
   * centre of {@code replication} as many times as it says (NetworkTopologyStrategy), for example
   * {@code {dc1=3, dc2=3}} for two IDCs.
   */
  public static void apply(CqlSession session, Map<String, Integer> replication) {
    for (String statement : statements(replication)) {
      session.execute(statement);
    }
  }

  /** The script's statements, comments removed, with the replication map replaced. */
  static List<String> statements(String datacenter, int replicationFactor) {
    return statements(Map.of(datacenter, replicationFactor));
  }

  /** The script's statements, comments removed, with the replication map replaced (data centres in name order). */
  static List<String> statements(Map<String, Integer> replication) {
    if (replication.isEmpty()) throw new IllegalArgumentException("no data centre to replicate in");
    StringBuilder map = new StringBuilder("{'class':'NetworkTopologyStrategy'");
    for (Map.Entry<String, Integer> dc : new TreeMap<>(replication).entrySet()) {
      if (dc.getKey() == null || !DATACENTER.matcher(dc.getKey()).matches()) {
        throw new IllegalArgumentException("invalid datacenter name: " + dc.getKey());
      }
      if (dc.getValue() == null || dc.getValue() < 1) {
        throw new IllegalArgumentException("replicationFactor must be at least 1: " + dc.getValue() + " (" + dc.getKey() + ")");
      }
      map.append(",'").append(dc.getKey()).append("':").append(dc.getValue());
    }
    String replicationMap = map.append('}').toString();
    List<String> result = new ArrayList<>();
    for (String part : withoutComments(script()).split(";")) {
      String statement = part.strip();
      if (!statement.isEmpty()) {
        result.add(REPLICATION.matcher(statement).replaceAll(Matcher.quoteReplacement(replicationMap)));
      }
    }
    return result;
  }

  /** The script as stored on the classpath. */
  static String script() {
    try (InputStream in = CqlSchema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  /** Drops {@code --} and {@code //} line comments; the script holds no such text inside strings. */
  private static String withoutComments(String cql) {
    StringBuilder out = new StringBuilder(cql.length());
    for (String line : cql.split("\n")) {
      int dashes = line.indexOf("--");
      int slashes = line.indexOf("//");
      int cut = dashes < 0 ? slashes : slashes < 0 ? dashes : Math.min(dashes, slashes);
      out.append(cut < 0 ? line : line.substring(0, cut)).append('\n');
    }
    return out.toString();
  }
}
