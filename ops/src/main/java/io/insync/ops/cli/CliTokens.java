package io.insync.ops.cli;

import io.insync.core.auth.TokenSigner;

/**
 * How the CLI signs tokens, like the nodes' configuration: with the v2 key ring of {@code $INSYNC_TOKEN_KEYS}
 * ({@code id=secret,...}) and {@code $INSYNC_TOKEN_SIGNING_KEY} when keys are given, else a v1 token with
 * {@code --secret}, {@code $INSYNC_TOKEN_SECRET} or the development secret (docs/security.md).
 */
final class CliTokens {
  private CliTokens() {}

  static TokenSigner signer(String secretOption) {
    return signer(secretOption, System.getenv("INSYNC_TOKEN_KEYS"), System.getenv("INSYNC_TOKEN_SIGNING_KEY"),
        System.getenv("INSYNC_TOKEN_SECRET"));
  }

  static TokenSigner signer(String secretOption, String keys, String signingKey, String secretEnv) {
    if (secretOption == null && keys != null && !keys.isBlank()) {
      return TokenSigner.keyRing(TokenSigner.parseKeys(keys), signingKey, null);
    }
    String s = secretOption != null ? secretOption
        : secretEnv != null && !secretEnv.isEmpty() ? secretEnv : TokenSigner.DEV_SECRET;
    return TokenSigner.fromSecret(s);
  }
}
