package io.insync.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The management keys as a node builds its configuration (`insync node` options over application.conf). */
class ManagementConfigTest {
  private static Config node(String... args) {
    InsyncCli.NodeCommand cmd = new InsyncCli.NodeCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd.options.build();
  }

  @Test
  void defaultsAreLoopback8558WithWritesRoutedButNoToken() {
    Config c = node();
    assertEquals("127.0.0.1", c.getString("pekko.management.http.hostname"));
    assertEquals(8558, c.getInt("pekko.management.http.port"));
    assertFalse(c.getBoolean("pekko.management.http.route-providers-read-only"));
    assertEquals("", c.getString("insync.management.token"));
    assertFalse(c.getBoolean("insync.management.bootstrap.enabled"));
    assertEquals("", c.getString("pekko.management.health-checks.readiness-checks.cluster-membership"));
    assertEquals("io.insync.ops.management.NodeHealthChecks$JournalReachable",
        c.getString("pekko.management.health-checks.readiness-checks.insync-journal"));
  }

  @Test
  void managementPortOption() {
    assertEquals(0, node("--management-port", "0").getInt("pekko.management.http.port"));
    assertEquals(8600, node("--management-port", "8600").getInt("pekko.management.http.port"));
    assertThrows(IllegalArgumentException.class, () -> node("--management-port", "70000"));
  }
}
