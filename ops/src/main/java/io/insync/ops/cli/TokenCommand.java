package io.insync.ops.cli;

import io.insync.core.auth.TokenSigner;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/insync token}: prints a signed device token. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Print a token for a user's device.")
final class TokenCommand implements Callable<Integer> {
  @Option(names = "--user", required = true) String user;

  @Option(names = "--device", defaultValue = "cli", description = "(default ${DEFAULT-VALUE})") String device;

  @Option(names = "--ttl", defaultValue = "24h", converter = DurationConverter.class,
      description = "valid for this long (default ${DEFAULT-VALUE})")
  Duration ttl;

  @Option(names = "--secret", description = "signing secret (default: $INSYNC_TOKEN_SECRET or the dev secret)")
  String secret;

  @Override
  public Integer call() {
    String s = secret;
    if (s == null) {
      String env = System.getenv("INSYNC_TOKEN_SECRET");
      s = env != null && !env.isEmpty() ? env : TokenSigner.DEV_SECRET;
    }
    System.out.println(TokenSigner.fromSecret(s).sign(user, device, Instant.now().plus(ttl)));
    return 0;
  }
}
