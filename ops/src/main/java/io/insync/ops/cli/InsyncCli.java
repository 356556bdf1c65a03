package io.insync.ops.cli;

import com.typesafe.config.Config;
import io.insync.ops.InsyncNode;
import io.insync.ops.metrics.NodeMetrics;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code bin/insync}: the one entry point for people. */
@Command(name = "insync", mixinStandardHelpOptions = true, version = "insync 0.1.0",
    description = "A messaging backend: sharded event-sourced users, notify-then-pull sync.",
    footer = {"", "  loadtest SCENARIO [--target H:P --users N --rate R --duration D]",
        "             Gatling scenarios over WebSocket; see docs/loadtest.md"},
    subcommands = {
        UpCommand.class, InsyncCli.NodeCommand.class, CassandraCommand.class, SchemaCommand.class, TokenCommand.class,
        SendCommand.class, SyncCommand.class, GroupCommand.class, DevicesCommand.class, ReadCommand.class,
        ChatCommand.class, ExampleCommand.class, BenchCommand.class, AdminCommand.class,
        CommandLine.HelpCommand.class})
public final class InsyncCli implements Runnable {

  public static void main(String[] args) {
    commonPoolAtLeastTwo();
    System.exit(commandLine().execute(args));
  }

  /**
   * With fewer than 3 cores the JDK's common pool has parallelism 1, and then every async
   * CompletableFuture stage (Pekko's ask replies use one) starts a new thread: thousands a second
   * under load. bin/insync sets the property on the command line; this covers other launchers,
   * provided nothing has touched CompletableFuture yet.
   */
  static void commonPoolAtLeastTwo() {
    String key = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(key) == null && Runtime.getRuntime().availableProcessors() < 3) {
      System.setProperty(key, "4");
    }
  }

  /** The configured command line (tests run commands through it too). */
  public static CommandLine commandLine() {
    return new CommandLine(new InsyncCli())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler((ex, cmd, parsed) -> {
          System.err.println("insync " + cmd.getCommandName() + ": " + rootMessage(ex));
          if (System.getenv("INSYNC_DEBUG") != null) ex.printStackTrace();
          return 1;
        });
  }

  static String rootMessage(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** {@code bin/insync node}: one node against an existing Cassandra. */
  @Command(name = "node", mixinStandardHelpOptions = true,
      description = "Run one insync node (Cassandra must be reachable; see `insync cassandra`).")
  static final class NodeCommand implements Callable<Integer> {
    @Mixin NodeOptions options;

    @Override
    public Integer call() throws Exception {
      Config config = options.build();
      // before the actor system: Kanela instruments Pekko's classes as they load
      NodeMetrics.start(config);
      // start() logs "insync node ready" once the client port is open and the node can serve
      InsyncNode node = InsyncNode.start(config);
      Runtime.getRuntime().addShutdownHook(new Thread(node::close, "insync-node-stop"));
      node.system().getWhenTerminated().toCompletableFuture().join();
      return 0;
    }
  }
}
