package io.insync.cluster;

import io.insync.persistence.ClusterMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * How many client connections each node's gateway holds, for the management route {@code GET
 * /insync/connections}. Every node with a gateway runs one small answering actor registered with the cluster
 * Receptionist; any node can then ask all of them, so one management URL shows the whole cluster (the CLI
 * does not need every member's management address). The count itself is read from the gateway on demand
 * ({@code IntSupplier}), so this module knows nothing about gateways.
 */
public final class NodeConnections {
  public static final ServiceKey<Count> SERVICE_KEY = ServiceKey.create(Count.class, "insync-node-connections");

  /** How many connections do you hold? */
  public record Count(ActorRef<Counted> replyTo) implements ClusterMessage {}

  /** @param node the answering node's address; @param open its gateway's open connections (TCP and WebSocket) */
  public record Counted(String node, int open) implements ClusterMessage {}

  /** One node's answer: {@code open} empty and {@code error} set if it did not answer in time. */
  public record NodeCount(String node, OptionalInt open, String error) {}

  private NodeConnections() {}

  /** Registers this node's counter (once per system). */
  public static void register(ActorSystem<?> system, IntSupplier openConnections) {
    String node = system.address().toString();
    system.systemActorOf(Behaviors.<Count>setup(ctx -> {
      system.receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(c -> {
        c.replyTo().tell(new Counted(node, openConnections.getAsInt()));
        return Behaviors.same();
      });
    }), "node-connections", Props.empty());
  }

  /**
   * Asks every registered counter, each within {@code timeout}; never fails: a node that does not answer is
   * listed with its error. The Receptionist is eventually consistent, so a node that joined a moment ago
   * may be missing for a few seconds.
   */
  public static CompletionStage<List<NodeCount>> countAll(ActorSystem<?> system, Duration timeout) {
    CompletionStage<Receptionist.Listing> listing = AskPattern.ask(system.receptionist(),
        (ActorRef<Receptionist.Listing> r) -> Receptionist.find(SERVICE_KEY, r), timeout, system.scheduler());
    return listing.thenCompose(l -> {
      List<CompletableFuture<NodeCount>> asks = new ArrayList<>();
      for (ActorRef<Count> counter : l.getServiceInstances(SERVICE_KEY)) {
        String node = counter.path().address().hasGlobalScope() ? counter.path().address().toString()
            : system.address().toString();
        asks.add(AskPattern.<Count, Counted>ask(counter, Count::new, timeout, system.scheduler())
            .toCompletableFuture()
            .handle((c, e) -> e == null ? new NodeCount(c.node(), OptionalInt.of(c.open()), null)
                : new NodeCount(node, OptionalInt.empty(), "no answer within " + timeout.toMillis() + " ms")));
      }
      return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
          .thenApply(v -> asks.stream().map(CompletableFuture::join).toList());
    });
  }
}
