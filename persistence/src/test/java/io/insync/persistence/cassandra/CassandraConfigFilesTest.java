package io.insync.persistence.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated configuration and command line, without starting Cassandra. */
class CassandraConfigFilesTest {

  @TempDir Path dir;

  private CassandraLauncher.Settings settings() {
    return CassandraLauncher.Settings.defaults()
        .withDataDir(dir.resolve("node"))
        .withNativePort(19042)
        .withStoragePort(17001)
        .withHeap("768M")
        .withClusterName("it's a test")
        .withDatacenter("idc_east")
        .withRack("r7");
  }

  @Test
  void yamlHoldsPortsDirectoriesAndNames() throws Exception {
    CassandraConfigFiles files = new CassandraConfigFiles(settings().dataDir());
    files.writeAll(settings());

    String yaml = Files.readString(files.yaml());
    Path node = dir.resolve("node").toAbsolutePath();
    assertTrue(yaml.contains("native_transport_port: 19042\n"), yaml);
    assertTrue(yaml.contains("storage_port: 17001\n"), yaml);
    assertTrue(yaml.contains("- seeds: '127.0.0.1:17001'"), yaml);
    assertTrue(yaml.contains("listen_address: 127.0.0.1\n"), yaml);
    assertTrue(yaml.contains("rpc_address: 127.0.0.1\n"), yaml);
    assertTrue(yaml.contains("cluster_name: 'it''s a test'\n"), yaml);
    assertTrue(yaml.contains("endpoint_snitch: GossipingPropertyFileSnitch\n"), yaml);
    assertTrue(yaml.contains("commitlog_sync: periodic\n"), yaml);
    for (String sub : List.of("data", "commitlog", "saved_caches", "hints", "cdc_raw")) {
      assertTrue(yaml.contains("'" + node.resolve(sub) + "'"), sub + " missing in " + yaml);
      assertTrue(Files.isDirectory(node.resolve(sub)), sub);
    }

    String rackdc = Files.readString(files.rackdc());
    assertTrue(rackdc.contains("dc=idc_east\n"), rackdc);
    assertTrue(rackdc.contains("rack=r7\n"), rackdc);

    String logback = Files.readString(files.logback());
    assertTrue(logback.contains("<file>" + node.resolve("logs").resolve("system.log") + "</file>"), logback);
    assertFalse(logback.contains("ConsoleAppender"), logback);
  }

  @Test
  void commandRunsTheWatchdogWithCassandrasFlagsAndNoJmx() {
    CassandraConfigFiles files = new CassandraConfigFiles(settings().dataDir());
    Path lib = dir.resolve("lib");
    List<String> cmd = CassandraLauncher.command(settings(), lib, files);

    assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), cmd.get(0));
    assertTrue(cmd.contains("-Xmx768M") && cmd.contains("-Xms768M"), cmd.toString());
    assertTrue(cmd.contains("java.base/jdk.internal.misc=ALL-UNNAMED"), cmd.toString());
    assertTrue(cmd.contains("-Dcassandra-foreground=yes"), cmd.toString());
    assertTrue(cmd.contains("-Dcassandra.skip_wait_for_gossip_to_settle=0"), cmd.toString());
    assertTrue(cmd.contains("-Dcassandra.config=" + files.yaml().toUri()), cmd.toString());
    assertTrue(cmd.stream().noneMatch(a -> a.startsWith("-D") && a.contains("jmx")), cmd.toString());
    String classpath = cmd.get(cmd.indexOf("-cp") + 1);
    assertEquals(files.watchdogClasses() + java.io.File.pathSeparator + lib.resolve("*"), classpath);
    assertEquals(List.of(ParentWatchdog.class.getName(), CassandraLauncher.CASSANDRA_MAIN),
        cmd.subList(cmd.size() - 2, cmd.size()));
  }

  @Test
  void watchdogClassIsCopiedAsASingleFile() throws Exception {
    CassandraConfigFiles files = new CassandraConfigFiles(dir);
    Path copied = ClassFiles.copy(ParentWatchdog.class, files.watchdogClasses());
    assertEquals(files.watchdogClasses().resolve("io/insync/persistence/cassandra/ParentWatchdog.class"), copied);
    assertTrue(Files.size(copied) > 0);
  }

  @Test
  void defaultsAndValidation() {
    CassandraLauncher.Settings d = CassandraLauncher.Settings.defaults();
    assertEquals("127.0.0.1", d.host());
    assertEquals(9042, d.nativePort());
    assertEquals(7000, d.storagePort());
    assertEquals("1G", d.heap());
    assertEquals("dc1", d.datacenter());
    assertEquals(Duration.ofSeconds(120), d.startTimeout());
    assertThrows(IllegalArgumentException.class, () -> d.withNativePort(0));
    assertThrows(IllegalArgumentException.class, () -> d.withStoragePort(9042));
    assertThrows(IllegalArgumentException.class, () -> d.withHeap("lots"));
    assertThrows(IllegalArgumentException.class, () -> d.withDatacenter("dc 1"));
    assertThrows(IllegalArgumentException.class, () -> d.withStartTimeout(Duration.ZERO));
  }

  @Test
  void missingLibFolderGivesAClearError() {
    CassandraLauncher launcher = new CassandraLauncher(settings().withLibDir(dir.resolve("nothing-here")));
    IllegalStateException e = assertThrows(IllegalStateException.class, launcher::start);
    assertTrue(e.getMessage().contains("mvn -DskipTests package"), e.getMessage());
    assertFalse(launcher.isRunning());
  }
}
