package io.insync.ops.cli;

import io.insync.client.ClientListener;
import io.insync.client.InsyncClient;
import io.insync.core.codec.Envelopes;
import io.insync.protocol.SendAck;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/insync send}: sends and prints each ack as a JSON line when it arrives. */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Send message(s); print each ack as {\"client_msg_id\":…,\"seq\":…} as it arrives.")
final class SendCommand extends ClientCommands implements Callable<Integer> {
  @Option(names = "--from", required = true, description = "sending user") String from;

  @Option(names = "--device", defaultValue = "cli", description = "sending device (default ${DEFAULT-VALUE})") String device;

  @Option(names = "--to", required = true, description = "recipient user") String to;

  @Option(names = "--text", required = true) String text;

  @Option(names = "--count", defaultValue = "1", description = "send N numbered copies (default ${DEFAULT-VALUE})") int count;

  @Option(names = "--client-msg-id", description = "id of the message (with --count: prefix, -1..-N appended); "
      + "reuse it to retry a send without duplicating it (default: random)")
  String clientMsgId;

  @Override
  public Integer call() throws Exception {
    if (count < 1) throw new IllegalArgumentException("--count must be at least 1");
    try (InsyncClient client = client(from, device, false, ClientListener.NOOP)) {
      await(client.connect(), timeout);
      String base = clientMsgId != null ? clientMsgId : UUID.randomUUID().toString();
      AtomicInteger failed = new AtomicInteger();
      List<CompletableFuture<SendAck>> all = new ArrayList<>();
      for (int i = 1; i <= count; i++) {
        String id = count == 1 ? base : base + "-" + i;
        String body = count == 1 ? text : text + " #" + i;
        all.add(client.send(id, to, Envelopes.text(body)).whenComplete((ack, err) -> {
          synchronized (System.out) {
            if (err != null) {
              failed.incrementAndGet();
              System.err.println("send " + id + " failed: " + InsyncCli.rootMessage(err));
            } else {
              System.out.println(Json.ack(ack));
              System.out.flush();
            }
          }
        }));
      }
      try {
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // counted per message above
      }
      long notDone = all.stream().filter(f -> !f.isDone()).count();
      if (notDone > 0) System.err.println(notDone + " send(s) not acknowledged within " + timeout);
      return failed.get() + notDone == 0 ? 0 : 1;
    }
  }
}
