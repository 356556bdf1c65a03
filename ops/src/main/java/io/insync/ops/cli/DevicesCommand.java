package io.insync.ops.cli;

import io.insync.client.ClientListener;
import io.insync.client.InsyncClient;
import io.insync.protocol.DeviceInfo;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/insync devices list|remove}: a user's devices. */
@Command(name = "devices", mixinStandardHelpOptions = true,
    description = "List or remove a user's devices. The command signs in as device --as (default cli), "
        + "which registers it too (and counts as a login under a login policy).",
    subcommands = {DevicesCommand.ListDevices.class, DevicesCommand.Remove.class})
final class DevicesCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  abstract static class Base extends ClientCommands {
    @Option(names = "--user", required = true, description = "whose devices") String user;

    @Option(names = "--as", defaultValue = "cli", description = "the device this command signs in as (default ${DEFAULT-VALUE})")
    String as;

    InsyncClient connect() throws Exception {
      InsyncClient c = client(user, as, false, ClientListener.NOOP);
      await(c.connect(), timeout);
      return c;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Print each registered device as a JSON line {\"device\":…,\"platform\":…,\"sync_key\":…,\"online\":…,\"registered_at_ms\":…}.")
  static final class ListDevices extends Base implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      try (InsyncClient c = connect()) {
        List<DeviceInfo> devices = c.listDevices().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        for (DeviceInfo d : devices) System.out.println(json(d));
        return 0;
      }
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Remove a device: its session is closed and its token refused from then on. "
          + "Prints {\"removed\":DEVICE}; exits 1 if the server refuses (NOT_FOUND: never registered).")
  static final class Remove extends Base implements Callable<Integer> {
    @Option(names = "--device", required = true, description = "the device to remove") String device;

    @Override
    public Integer call() throws Exception {
      try (InsyncClient c = connect()) {
        c.removeDevice(device).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        System.out.println("{\"removed\":" + Json.str(device) + "}");
        return 0;
      }
    }
  }

  static String json(DeviceInfo d) {
    return "{\"device\":" + Json.str(d.getDevice()) + ",\"platform\":" + Json.str(d.getPlatform()) + ",\"sync_key\":"
        + Long.toUnsignedString(d.getSyncKey()) + ",\"online\":" + d.getOnline() + ",\"registered_at_ms\":"
        + d.getRegisteredAtMs() + "}";
  }
}
