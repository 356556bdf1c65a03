package io.insync.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.ops.bench.BenchScenario;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Which scenario a bench command line runs: named, or chosen by the old flags; contradictions refused. */
class BenchCommandTest {

  static BenchCommand parse(String... args) {
    BenchCommand c = new BenchCommand();
    new CommandLine(c).parseArgs(args);
    return c;
  }

  @Test
  void namedScenarios() {
    assertEquals(BenchScenario.ONE_TO_ONE, parse("one-to-one", "--rates", "500,1000").scenario());
    assertEquals(BenchScenario.CASSANDRA_BASELINE, parse("cassandra-baseline").scenario());
    assertEquals(BenchScenario.IDLE, parse("idle", "--idle-connections", "100").scenario());
    assertEquals(BenchScenario.GROUP, parse("group", "--members", "500", "--rates", "5,20").scenario());
  }

  @Test
  void oldFlagsMapOntoScenarios() {
    assertEquals(BenchScenario.ONE_TO_ONE, parse("--users", "1000", "--rate", "500", "--json").scenario());
    assertEquals(BenchScenario.CASSANDRA_BASELINE, parse("--cassandra-baseline", "--duration", "20s").scenario());
    assertEquals(BenchScenario.IDLE, parse("--idle-connections", "10000", "--json").scenario());
  }

  @Test
  void unknownScenarioListsTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("fan-out").scenario());
    assertTrue(e.getMessage().contains("unknown bench scenario 'fan-out'"), e.getMessage());
    assertTrue(e.getMessage().contains("one-to-one, group, cassandra-baseline, idle"), e.getMessage());
  }

  @Test
  void contradictionsAndBadRatesAreRefusedBeforeRunning() {
    assertThrows(IllegalArgumentException.class, () -> parse("one-to-one", "--cassandra-baseline").scenario());
    assertThrows(IllegalArgumentException.class, () -> parse("one-to-one", "--idle-connections", "5").scenario());
    assertThrows(IllegalArgumentException.class, () -> parse("--cassandra-baseline", "--idle-connections", "5").scenario());
    assertThrows(IllegalArgumentException.class, () -> parse("idle", "--rates", "100").scenario());
    assertThrows(IllegalArgumentException.class, () -> parse("group", "--idle-connections", "5").scenario());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("one-to-one", "--rates", "100,x").scenario())
        .getMessage().contains("'x' is not a number"));
  }

  @Test
  void unknownScenarioFailsTheCommandWithExitCode1() {
    assertEquals(1, InsyncCli.commandLine().execute("bench", "nope"));
  }
}
