package io.insync.ops.cli;

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

  @Option(names = "--secret", description = "sign a v1 token with this secret (default: a v2 token with the key "
      + "$INSYNC_TOKEN_SIGNING_KEY of $INSYNC_TOKEN_KEYS if set, else v1 with $INSYNC_TOKEN_SECRET or the dev secret)")
  String secret;

  @Override
  public Integer call() {
    System.out.println(CliTokens.signer(secret).sign(user, device, Instant.now().plus(ttl)));
    return 0;
  }
}
