package io.insync.ops.cli;

import io.insync.client.ClientListener;
import io.insync.client.ClientOptions;
import io.insync.client.InsyncClient;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Item;
import io.insync.protocol.ItemKind;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** What the client-side commands share: where the server is and how to sign in. */
abstract class ClientCommands {

  @Option(names = "--server", defaultValue = "127.0.0.1:7400", paramLabel = "HOST:PORT",
      split = ",", description = "gateway address(es), comma-separated; tried in turn (default ${DEFAULT-VALUE})")
  List<String> servers;

  @Option(names = "--secret", description = "token secret (default: $INSYNC_TOKEN_SECRET or the dev secret)")
  String secret;

  @Option(names = "--timeout", defaultValue = "30s", description = "give up after this long (default ${DEFAULT-VALUE})",
      converter = DurationConverter.class)
  Duration timeout;

  String token(String user, String device) {
    return CliTokens.signer(secret).sign(user, device, Instant.now().plus(Duration.ofHours(24)));
  }

  List<InetSocketAddress> addresses() {
    List<InetSocketAddress> out = new ArrayList<>();
    for (String s : servers) out.add(parseAddress(s));
    return out;
  }

  static InetSocketAddress parseAddress(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0) throw new IllegalArgumentException("expected HOST:PORT, got '" + s + "'");
    return new InetSocketAddress(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
  }

  InsyncClient client(String user, String device, boolean autoSync, ClientListener listener) {
    return InsyncClient.create(ClientOptions.builder()
        .addresses(addresses())
        .token(token(user, device))
        .autoSync(autoSync)
        .listener(listener)
        .sendRetryTimeout(timeout)
        .clientVersion("insync-cli")
        .build());
  }

  static AuthOk await(java.util.concurrent.CompletableFuture<AuthOk> f, Duration timeout) throws Exception {
    return f.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** {@code #SEQ [GROUP] FROM -> TO: TEXT}; a group event as its type and whom it names; other kinds by name. */
  static String human(Item i) {
    String group = i.getGroup().isEmpty() ? "" : " [" + i.getGroup() + "]";
    if (i.hasGroupEvent()) {
      return String.format("#%d%s %s %s %s", i.getSeq(), group, i.getFrom(), i.getGroupEvent().getType(),
          String.join(",", i.getGroupEvent().getMembersList()));
    }
    if (i.getKind() == ItemKind.DELIVERY_RECEIPT || i.getKind() == ItemKind.READ_RECEIPT) {
      return String.format("#%d %s %s your messages up to #%d", i.getSeq(), i.getFrom(),
          i.getKind() == ItemKind.READ_RECEIPT ? "read" : "got", i.getReceiptUpTo());
    }
    if (i.getKind() == ItemKind.GROUP_RECEIPT) {
      StringBuilder b = new StringBuilder("#" + i.getSeq() + group + " receipts:");
      for (var c : i.getReceiptCountsList()) {
        b.append(String.format(" #%d %d/%d got, %d read;", c.getGroupSeq(), c.getDelivered(), c.getRecipients(),
            c.getRead()));
      }
      return b.toString();
    }
    String kind = i.getKind() == ItemKind.MESSAGE ? "" : " (" + Json.kind(i) + ")";
    return String.format("#%d%s%s %s -> %s: %s", i.getSeq(), group, kind, i.getFrom(), i.getTo(),
        i.getContent().getText().isEmpty() && i.getContent().getData().size() > 0
            ? "(" + i.getContent().getData().size() + " bytes of " + i.getContent().getType() + ")"
            : i.getContent().getText());
  }
}
