package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.RouteChanges;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserRefs;
import org.apache.pekko.actor.typed.RecipientRef;
import io.insync.protocol.Envelope;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One gateway on free loopback ports (TCP and WebSocket), in front of a {@link FakeUser}; its
 * clients use {@code transport}.
 */
final class GatewayFixture implements AutoCloseable {
  static final TokenSigner TOKENS = TokenSigner.fromSecret("gateway-test-secret");

  final FakeUser users = new FakeUser();
  /** Route changes the gateway listens to (a test calls {@code changed()} as a removed node would). */
  final RouteChanges routes = new RouteChanges();
  /** This gateway's presence directory (not registered with a Receptionist here). */
  final Presence presence = new Presence();
  final GatewaySettings settings;
  final TcpGateway gateway;
  final Transport transport;
  /** The TCP address. */
  final InetSocketAddress address;
  /** The WebSocket address. */
  final InetSocketAddress wsAddress;

  /** Over TCP; {@code overrides}: HOCON under {@code insync.gateway}. */
  GatewayFixture(ActorTestKit kit, String overrides) throws InterruptedException {
    this(kit, Transport.TCP, overrides);
  }

  /** {@code overrides}: HOCON under {@code insync.gateway}. */
  GatewayFixture(ActorTestKit kit, Transport transport, String overrides) throws InterruptedException {
    this(kit, transport, overrides, io.insync.cluster.flags.FlagView.NONE, FlaggedSyncPage.NONE);
  }

  /** With feature flags: {@code flags} as the node's copy, {@code syncPage} the behaviour behind one. */
  GatewayFixture(ActorTestKit kit, Transport transport, String overrides, io.insync.cluster.flags.FlagView flags,
      FlaggedSyncPage syncPage) throws InterruptedException {
    this(kit, transport, overrides, flags, syncPage, io.insync.cluster.auth.RevocationView.NONE);
  }

  /** With {@code revocations} as the node's copy of the bans and token revocations. */
  GatewayFixture(ActorTestKit kit, Transport transport, String overrides, io.insync.cluster.flags.FlagView flags,
      FlaggedSyncPage syncPage, io.insync.cluster.auth.RevocationView revocations) throws InterruptedException {
    this.transport = transport;
    // one attempt per entity ask unless a test asks for retries (tests hold commands unanswered on purpose)
    Config config = ConfigFactory.parseString("insync.gateway { port = 0 \n websocket.port = 0 \n"
            + "entity-attempt-timeout = 1h \n" + overrides + "\n}")
        .withFallback(ConfigFactory.load());
    settings = GatewaySettings.fromConfig(config);
    ActorRef<UserEntity.Command> fake = kit.spawn(users.behavior());
    UserRefs refs = new UserRefs() {
      @Override
      public RecipientRef<UserEntity.Command> user(String userId) {
        return fake;
      }

      @Override
      public RouteChanges routeChanges() {
        return routes;
      }
    };
    gateway = new TcpGateway(kit.system(), new Session.Deps(settings, refs, TOKENS, presence, flags, syncPage,
        revocations));
    address = gateway.start();
    wsAddress = gateway.webSocketAddress().orElse(null);
  }

  TestClient connect() throws IOException {
    return connect(transport, 0);
  }

  /** {@code receiveBuffer} > 0 sets a small socket receive buffer. */
  TestClient connect(Transport over, int receiveBuffer) throws IOException {
    return TestClient.open(over, over == Transport.TCP ? address : wsAddress, settings.webSocket().path(),
        receiveBuffer);
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
