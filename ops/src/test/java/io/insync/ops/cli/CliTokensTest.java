package io.insync.ops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.insync.core.auth.TokenSigner;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI signs v2 tokens with the configured key ring, v1 ones with a secret. */
class CliTokensTest {
  private static final Instant EXPIRY = Instant.now().plusSeconds(600);

  @Test
  void withKeysTheTokenIsV2UnderTheSigningKey() throws Exception {
    String t = CliTokens.signer(null, "old=s1,new=s2", "new", "ignored").sign("alice", "cli", EXPIRY);
    assertEquals("v2", t.split("\\.")[0]);
    assertEquals("new", TokenSigner.keyRing(Map.of("new", "s2"), null, null).verify(t, Instant.now()).keyId());
    assertEquals("old", CliTokens.signer(null, "old=s1,new=s2", "", null).sign("alice", "cli", EXPIRY).split("\\.")[1],
        "the first key by default");
  }

  @Test
  void aSecretOptionOrNoKeysGiveAV1Token() throws Exception {
    String opt = CliTokens.signer("mine", "k=s", "k", null).sign("alice", "cli", EXPIRY);
    assertEquals("alice", TokenSigner.fromSecret("mine").verify(opt, Instant.now()).user());
    String env = CliTokens.signer(null, "", null, "from-env").sign("alice", "cli", EXPIRY);
    assertEquals("alice", TokenSigner.fromSecret("from-env").verify(env, Instant.now()).user());
    String dev = CliTokens.signer(null, null, null, null).sign("alice", "cli", EXPIRY);
    assertEquals("alice", TokenSigner.fromSecret(TokenSigner.DEV_SECRET).verify(dev, Instant.now()).user());
  }
}
