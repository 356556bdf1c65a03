package io.insync.ops.cli;

import io.insync.client.ClientListener;
import io.insync.client.InsyncClient;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/insync read}: marks a conversation read (MarkRead). */
@Command(name = "read", mixinStandardHelpOptions = true,
    description = "Mark the conversation with --peer (or --group) read up to --up-to, a seq of the user's inbox; "
        + "the senders get read receipts unless the user turned them off. Prints {\"read\":…,\"up_to\":…}.")
final class ReadCommand extends ClientCommands implements Callable<Integer> {
  @Option(names = "--user", required = true, description = "the reader") String user;

  @Option(names = "--device", defaultValue = "cli", description = "the reader's device (default ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--peer", description = "the 1:1 conversation with this user") String peer;

  @Option(names = "--group", description = "the group") String group;

  @Option(names = "--up-to", required = true, description = "read up to this seq of the user's inbox") long upTo;

  @Override
  public Integer call() throws Exception {
    if ((peer == null) == (group == null)) throw new IllegalArgumentException("give --peer or --group (one of them)");
    try (InsyncClient c = client(user, device, false, ClientListener.NOOP)) {
      await(c.connect(), timeout);
      var done = peer != null ? c.markRead(peer, upTo) : c.markGroupRead(group, upTo);
      done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      String what = peer != null ? Json.str(peer) : Json.str("#" + group);
      System.out.println("{\"read\":" + what + ",\"up_to\":" + upTo + "}");
      return 0;
    }
  }
}
