package io.insync.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The schema command's --replication and the contact point lists of --cassandra (node and schema). */
class SchemaCommandTest {

  @Test
  void replicationNamesEveryDataCentreWithItsReplicas() {
    assertEquals(Map.of("dc1", 3, "dc2", 2), SchemaCommand.parseReplication("dc1=3, dc2=2"));
    assertEquals(List.of("dc1", "dc2"), List.copyOf(SchemaCommand.parseReplication("dc1=3,dc2=2").keySet()), "in the order given");
    for (String bad : List.of("dc1", "dc1=", "=3", "dc1=three", "dc1=3,,dc2=3")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SchemaCommand.parseReplication(bad), bad);
      assertTrue(e.getMessage().contains("--replication"), e.getMessage());
    }
  }

  @Test
  void cassandraTakesSeveralContactPoints() {
    NodeOptions options = CommandLine.populateCommand(new NodeOptions(), "--cassandra", "10.0.0.1:9042, 10.0.0.2:9042");
    assertEquals(List.of("10.0.0.1:9042", "10.0.0.2:9042"),
        options.build().getStringList("datastax-java-driver.basic.contact-points"));
    assertThrows(IllegalArgumentException.class, () -> NodeOptions.contactPoints("10.0.0.1:9042,"));
    assertThrows(IllegalArgumentException.class, () -> NodeOptions.contactPoints(" "));
  }

  @Test
  void replicationIsRequired() {
    CommandLine cli = new CommandLine(new SchemaCommand());
    assertThrows(CommandLine.MissingParameterException.class, () -> cli.parseArgs("--cassandra", "h:9042"));
  }
}
