package io.insync.ops.cli;

import io.insync.client.ClientOptions;
import io.insync.client.examples.EchoBot;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/insync example ...}: the runnable SDK examples of {@code io.insync.client.examples}. */
@Command(name = "example", mixinStandardHelpOptions = true,
    description = "Run an example client built on the public SDK API (io.insync.client.examples).",
    subcommands = {ExampleCommand.EchoBotCommand.class})
final class ExampleCommand implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** {@code bin/insync example echo-bot}: {@link EchoBot} until SIGINT or SIGTERM. */
  @Command(name = "echo-bot", mixinStandardHelpOptions = true,
      description = {"Answer every text message to --user with \"echo: <text>\", exactly once: after a restart it "
          + "resumes from the sync key in --state and answers what came meanwhile, nothing twice.",
          "Runs until stopped (Ctrl-C). Keep --device the same across runs (the server deduplicates answers per device)."})
  static final class EchoBotCommand extends ClientCommands implements Callable<Integer> {
    @Option(names = "--user", required = true, description = "the bot's user") String user;

    @Option(names = "--device", defaultValue = "echo-bot", description = "the bot's device (default ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--state", paramLabel = "DIR",
        description = "where the bot keeps its sync key (default: .insync/echo-bot/USER in the current directory)")
    Path state;

    @Override
    public Integer call() throws Exception {
      Path dir = state != null ? state : Path.of(".insync", "echo-bot", user);
      // a token per authentication: a bot outlives one token's 24 h
      ClientOptions.Builder connection = ClientOptions.builder()
          .addresses(addresses())
          .tokenSupplier(() -> token(user, device))
          .sendRetryTimeout(timeout)
          .clientVersion("insync-echo-bot");
      EchoBot bot = EchoBot.start(connection, dir, line -> {
        System.out.println(line);
        System.out.flush();
      });
      Runtime.getRuntime().addShutdownHook(new Thread(bot::close, "echo-bot-stop"));
      try {
        bot.stopped().get();
        return 0;
      } catch (ExecutionException e) {
        System.err.println("insync example echo-bot: " + InsyncCli.rootMessage(e));
        return 1;
      }
    }
  }
}
