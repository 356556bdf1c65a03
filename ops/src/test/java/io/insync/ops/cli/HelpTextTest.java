package io.insync.ops.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's --help renders as written: picocli formats descriptions with String.format, so a
 * lone '%' (as in "% of a core") makes it print a warning and show the raw text with "%n" in it.
 */
class HelpTextTest {

  @Test
  void everyCommandsHelpFormatsCleanly() {
    List<CommandLine> all = new ArrayList<>();
    collect(InsyncCli.commandLine(), all);
    assertTrue(all.size() > 5, "found the subcommands: " + all.size());
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      for (CommandLine c : all) {
        String help = c.getUsageMessage();
        assertFalse(help.contains("%n"), c.getCommandName() + " shows a raw %n:\n" + help);
      }
    } finally {
      System.setErr(err);
    }
    String warnings = captured.toString(StandardCharsets.UTF_8);
    assertFalse(warnings.contains("Could not format"), warnings);
  }

  private static void collect(CommandLine c, List<CommandLine> into) {
    into.add(c);
    c.getSubcommands().values().forEach(s -> { if (!into.contains(s)) collect(s, into); });
  }
}
