package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Envelope;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;

/** One TCP gateway on a free loopback port, in front of a {@link FakeUser}. */
final class GatewayFixture implements AutoCloseable {
  static final TokenSigner TOKENS = TokenSigner.fromSecret("gateway-test-secret");

  final FakeUser users = new FakeUser();
  /** This gateway's presence directory (not registered with a Receptionist here). */
  final Presence presence = new Presence();
  final GatewaySettings settings;
  final TcpGateway gateway;
  final InetSocketAddress address;

  /** {@code overrides}: HOCON under {@code insync.gateway}. */
  GatewayFixture(ActorTestKit kit, String overrides) throws InterruptedException {
    Config config = ConfigFactory.parseString("insync.gateway { port = 0 \n" + overrides + "\n}")
        .withFallback(ConfigFactory.load());
    settings = GatewaySettings.fromConfig(config);
    ActorRef<UserEntity.Command> fake = kit.spawn(users.behavior());
    gateway = new TcpGateway(kit.system(), new Session.Deps(settings, id -> fake, TOKENS, presence));
    address = gateway.start();
  }

  TestClient connect() throws IOException {
    return new TestClient(address);
  }

  static String token(String user, String device) {
    return TOKENS.sign(user, device, Instant.now().plusSeconds(3600));
  }

  /** Connects and authenticates as {@code user}/{@code device}; the fake answers the Connect. */
  TestClient authenticated(String user, String device) throws IOException {
    TestClient c = connect();
    c.send(Envelopes.auth(1, token(user, device), "test"));
    Envelope ok = c.read();
    assertTrue(ok.hasAuthOk(), () -> "expected AuthOk, got " + ok);
    assertEquals(1, ok.getRequestId());
    return c;
  }

  @Override
  public void close() {
    gateway.close();
  }
}
