package io.insync.ops.cli;

import io.insync.client.ClientListener;
import io.insync.client.InsyncClient;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Item;
import io.insync.protocol.SyncResult;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/insync sync}: prints the items after a key and acks the new key. */
@Command(name = "sync", mixinStandardHelpOptions = true,
    description = "Print every item after the sync key, then ack the new key.")
final class SyncCommand extends ClientCommands implements Callable<Integer> {
  @Option(names = "--user", required = true) String user;

  @Option(names = "--device", defaultValue = "cli", description = "(default ${DEFAULT-VALUE})") String device;

  @Option(names = "--from-key", description = "sync key to start after (default: the key this device last acked, or 0)")
  Long fromKey;

  @Option(names = "--json", description = "one JSON object per line") boolean json;

  @Option(names = "--no-ack", description = "do not ack the new key (the device's stored key stays)") boolean noAck;

  @Override
  public Integer call() throws Exception {
    try (InsyncClient client = client(user, device, false, ClientListener.NOOP)) {
      AuthOk ok = await(client.connect(), timeout);
      long key = fromKey != null ? fromKey : ok.getDeviceKey();
      long start = key;
      while (true) {
        SyncResult r = client.sync(key, 0).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        for (Item i : r.getItemsList()) System.out.println(json ? Json.item(i) : human(i));
        key = r.getSyncKey();
        if (!r.getHasMore()) break;
      }
      System.out.flush();
      if (!noAck && key > start) client.ack(key);
      if (!json) System.err.println("sync key " + key + " (latest " + Math.max(key, ok.getLatestSeq()) + ")");
      return 0;
    }
  }
}
