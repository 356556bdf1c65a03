package io.insync.ops.cli;

import io.insync.client.ClientListener;
import io.insync.client.InsyncClient;
import io.insync.core.Ids;
import io.insync.core.codec.Envelopes;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Item;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/insync chat}: an interactive terminal chat. */
@Command(name = "chat", mixinStandardHelpOptions = true,
    description = "Chat in the terminal. Type '/to USER' to pick who you talk to, then lines to send; '/quit' leaves.")
final class ChatCommand extends ClientCommands implements Callable<Integer> {
  @Option(names = "--user", required = true) String user;

  @Option(names = "--device", defaultValue = "chat", description = "(default ${DEFAULT-VALUE})") String device;

  @Option(names = "--to", description = "first person to talk to") String to;

  @Override
  public Integer call() throws Exception {
    ClientListener listener = new ClientListener() {
      @Override
      public void onItems(List<Item> items) {
        for (Item i : items) {
          if (i.getFromDevice().equals(device) && i.getFrom().equals(user)) continue; // our own echo
          System.out.println((i.getFrom().equals(user) ? "(you, other device) " : "") + human(i));
        }
      }

      @Override
      public void onDisconnected(Throwable cause) {
        if (cause == null) return; // we closed it
        System.out.println("* disconnected (" + cause.getMessage() + "), reconnecting ...");
      }

      @Override
      public void onConnected(AuthOk ok) {
        System.out.println("* connected as " + ok.getUserId() + "/" + ok.getDeviceId() + ", inbox at #" + ok.getLatestSeq());
      }
    };
    try (InsyncClient client = client(user, device, true, listener)) {
      await(client.connect(), timeout);
      System.out.println("* '/to USER' picks a recipient" + (to != null ? " (now: " + to + ")" : "") + "; '/quit' leaves");
      List<java.util.concurrent.CompletableFuture<?>> outstanding = new java.util.ArrayList<>();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null) {
        line = line.strip();
        if (line.isEmpty()) continue;
        if (line.equals("/quit")) break;
        if (line.startsWith("/to ")) {
          String who = line.substring(4).strip();
          if (!Ids.isValidUserId(who)) {
            System.out.println("* not a valid user id: " + who);
          } else {
            to = who;
            System.out.println("* talking to " + to);
          }
          continue;
        }
        if (to == null) {
          System.out.println("* pick someone first: /to USER");
          continue;
        }
        String text = line;
        outstanding.add(client.send(to, Envelopes.text(text)).whenComplete((ack, err) -> System.out.println(err == null
            ? "  ✓ #" + ack.getSeq()
            : "* not sent: " + InsyncCli.rootMessage(err))));
      }
      // leave only once what was typed is acked (or has failed)
      try {
        java.util.concurrent.CompletableFuture.allOf(outstanding.toArray(java.util.concurrent.CompletableFuture[]::new))
            .get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        System.out.println("* some messages were not acknowledged before leaving");
      }
      return 0;
    }
  }
}
