package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The idle timeout counts frames from the client only, and not while the gateway holds reading back. */
@ParameterizedClass
@EnumSource(Transport.class)
class IdleTest {
  @Parameter
  Transport transport;

  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void pushesDoNotKeepASilentClientAlive() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "idle-timeout = 1s");
         TestClient c = gw.connect()) {
      c.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
      UserEntity.Connect connect = gw.users.next(UserEntity.Connect.class);
      assertTrue(c.read().hasAuthOk());
      long t0 = System.nanoTime();
      Thread pusher = new Thread(() -> {
        for (int i = 1; i <= 50; i++) { // 5 s of pushes, 10 per second
          connect.session().tell(new UserEntity.NewItems("alice", i, List.of()));
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      pusher.start();
      Envelope e;
      do {
        e = c.read();
      } while (e.hasNotify());
      pusher.interrupt();
      assertEquals(ErrorCode.TIMEOUT, e.getError().getCode());
      assertTrue(e.getError().getFatal());
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      // had the pushes counted, the close would come 1 s after the last one (> 5 s)
      assertTrue(ms < 4000, "closed after ~1 s although pushes kept coming: " + ms + " ms");
    }
  }

  @Test
  void aConnectionTheGatewayStoppedReadingIsNotClosedAsIdle() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "idle-timeout = 1s\n request-timeout = 3s\n"
        + "backpressure { max-outstanding = 2, resume-outstanding = 1 }");
         TestClient c = gw.authenticated("alice", "phone")) {
      // the entity does not answer: reading stops after 2 outstanding and stays stopped ~3 s (> idle-timeout)
      for (int i = 0; i < 3; i++) c.write(Envelopes.send(10 + i, "m" + i, "bob", Envelopes.text("x")));
      c.flush();
      Envelope first = c.read();
      assertEquals(ErrorCode.UNAVAILABLE, first.getError().getCode(),
          () -> "the request timed out, not the connection: " + first);
      assertTrue(first.getError().getRetryAfterMs() > 0);
    }
  }
}
