package io.insync.cluster.auth;

import io.insync.persistence.user.UserEntity;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the gateway asks of the revocations (docs/security.md): this node's copy, never a network call ({@link
 * Revocations} in a node, {@link #NONE} where no cluster runs); and the sessions it admitted, so that a
 * revocation arriving later can close them.
 */
public interface RevocationView {
  /** Why a token of {@code user}'s {@code device} issued at {@code issuedAt} is refused now, if it is. */
  Optional<String> refusal(String user, String device, Instant issuedAt, Instant now);

  /** A session authenticated with a token issued at {@code issuedAt}: closed if a revocation later covers it. */
  void admitted(String user, String device, Instant issuedAt, ActorRef<UserEntity.DeviceEvent> session);

  /** The session is gone. */
  void gone(String user, ActorRef<UserEntity.DeviceEvent> session);

  /** Nothing is revoked. */
  RevocationView NONE = new RevocationView() {
    @Override
    public Optional<String> refusal(String user, String device, Instant issuedAt, Instant now) {
      return Optional.empty();
    }

    @Override
    public void admitted(String user, String device, Instant issuedAt, ActorRef<UserEntity.DeviceEvent> session) {}

    @Override
    public void gone(String user, ActorRef<UserEntity.DeviceEvent> session) {}
  };
}
