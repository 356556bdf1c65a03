package io.insync.ops.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code bin/insync bench}: load generator; see io.insync.ops.bench. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmark a running system (not yet built).")
final class BenchCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("bench is not built yet");
    return 2;
  }
}
