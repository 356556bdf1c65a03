package io.insync.persistence.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(CassandraExtension.class)
class CassandraLauncherIT {

  @Test
  void cqlRoundTrip() {
    try (CqlSession session = CassandraExtension.launcher().openSession()) {
      session.execute("CREATE KEYSPACE IF NOT EXISTS launcher_it WITH replication = "
          + "{'class':'NetworkTopologyStrategy','dc1':1}");
      session.execute("CREATE TABLE IF NOT EXISTS launcher_it.kv (k text PRIMARY KEY, v int)");
      session.execute("INSERT INTO launcher_it.kv (k, v) VALUES ('answer', 42)");
      Row row = session.execute("SELECT v FROM launcher_it.kv WHERE k = 'answer'").one();
      assertEquals(42, row.getInt("v"));
    }
  }

  @Test
  void schemaIsApplied() {
    try (CqlSession session = CassandraExtension.launcher().openSession()) {
      assertEquals(Set.of("messages", "tag_views", "tag_write_progress", "tag_scanning", "metadata",
          "all_persistence_ids"), tables(session, "insync_journal"));
      assertEquals(Set.of("snapshots"), tables(session, "insync_snapshot"));
      Row ks = session.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'insync_journal'").one();
      assertEquals("1", ks.getMap("replication", String.class, String.class).get("dc1"));
      // idempotent
      CqlSchema.apply(session, "dc1", 1);
    }
  }

  @Test
  void extensionExposesTheNodeAndPekkoConfig() throws IOException {
    CassandraLauncher node = CassandraExtension.launcher();
    assertTrue(node.isRunning());
    assertEquals("dc1", CassandraExtension.datacenter());
    assertTrue(node.dataDir().endsWith("cassandra-test-" + ProcessHandle.current().pid()));
    assertTrue(Files.size(node.systemLog()) > 0, "Cassandra logs to " + node.systemLog());
    Config config = CassandraExtension.pekkoConfig();
    assertEquals(List.of("127.0.0.1:" + CassandraExtension.port()),
        config.getStringList("datastax-java-driver.basic.contact-points"));
    assertEquals("dc1", config.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"));
    assertTrue(config.getBoolean("datastax-java-driver.advanced.reconnect-on-init"));
    assertEquals("insync_journal", config.getString("pekko.persistence.cassandra.journal.keyspace"));
    assertEquals("insync_snapshot", config.getString("pekko.persistence.cassandra.snapshot.keyspace"));
  }

  @Test
  void childListensOnlyOnItsCqlAndStoragePortsSoNoJmx() throws IOException {
    CassandraLauncher node = CassandraExtension.launcher();
    Set<Integer> ports = ListeningPorts.of(node.pid());
    assertTrue(ports.contains(node.nativePort()), "listening ports seen: " + ports);
    assertFalse(ports.contains(7199), "JMX must not be open: " + ports);
    assertEquals(Set.of(node.nativePort(), node.settings().storagePort()), ports);
  }

  @Test
  void aSecondLauncherOnTheSameDataFolderIsRefused() {
    CassandraLauncher node = CassandraExtension.launcher();
    CassandraLauncher second = new CassandraLauncher(node.settings());
    IllegalStateException e = assertThrows(IllegalStateException.class, second::start);
    assertTrue(e.getMessage().contains("already running"), e.getMessage());
    assertTrue(node.isRunning());
  }

  @Test
  void childExitsWhenItsStdinClosesAsOnParentDeath() throws Exception {
    CassandraLauncher.Settings settings =
        CassandraExtension.testSettings("cassandra-orphan-" + ProcessHandle.current().pid()).withHeap("512M");
    try (CassandraLauncher orphan = new CassandraLauncher(settings)) {
      orphan.start();
      Process child = orphan.process();

      orphan.closeChildStdin();

      assertTrue(child.waitFor(30, TimeUnit.SECONDS), "Cassandra must exit within 30 s of its stdin closing");
      assertFalse(orphan.isRunning());
      String console = Files.readString(orphan.dataDir().resolve("logs").resolve("console.log"));
      assertTrue(console.contains("the parent process is gone"), console);
    }
  }

  private static Set<String> tables(CqlSession session, String keyspace) {
    return session.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", keyspace)
        .all().stream().map(r -> r.getString("table_name")).collect(Collectors.toSet());
  }

  /** TCP ports a process listens on, from Linux's /proc. */
  static final class ListeningPorts {

    private ListeningPorts() {}

    static Set<Integer> of(long pid) throws IOException {
      Set<String> inodes = new HashSet<>();
      try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
        for (Path fd : (Iterable<Path>) fds::iterator) {
          try {
            String target = Files.readSymbolicLink(fd).toString();
            if (target.startsWith("socket:[")) {
              inodes.add(target.substring(8, target.length() - 1));
            }
          } catch (IOException e) {
            // closed meanwhile
          }
        }
      }
      Set<Integer> ports = new HashSet<>();
      for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
        Path path = Path.of(table);
        if (!Files.exists(path)) {
          continue;
        }
        List<String> lines = Files.readAllLines(path); // read once: on a busy machine the table changes between reads
        for (String line : lines.subList(1, lines.size())) {
          String[] f = line.trim().split("\\s+");
          boolean listening = "0A".equals(f[3]);
          if (listening && inodes.contains(f[9])) {
            String local = f[1];
            ports.add(Integer.parseInt(local.substring(local.indexOf(':') + 1), 16));
          }
        }
      }
      return ports;
    }
  }
}
