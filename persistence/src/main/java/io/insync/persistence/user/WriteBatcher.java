package io.insync.persistence.user;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Group commit for one user entity. Pekko's typed persistence has one write in flight per entity
 * and hands it the commands that arrived meanwhile one at a time, each then waiting for a write
 * of its own: a burst of sends from one device, or many senders delivering to one popular user,
 * goes at one journal round trip per command. This interceptor sits in front of the entity and,
 * while a write is in flight, holds the commands that would write (sends and deliveries) in the
 * {@link Gate}; when the write completes the entity takes them all and writes their events as one
 * atomic write (one single-partition batch in Cassandra). With no write in flight a command
 * passes at once, so batching never adds latency.
 *
 * <p>Everything else passes straight through (and Pekko stashes it as usual during a write), so
 * a held send is never overtaken by a later send or delivery; a Sync may overtake a held send,
 * which is fine: the send is not acked before its write.
 */
final class WriteBatcher extends BehaviorInterceptor<UserEntity.Command, UserEntity.Command> {

  /** Shared by the interceptor and the entity of one actor (so used on the actor's thread only). */
  static final class Gate {
    private final ArrayDeque<UserEntity.Command> held = new ArrayDeque<>();
    /** True from the moment the entity asks for a write until that write completes. */
    boolean writing;

    boolean hasHeld() {
      return !held.isEmpty();
    }

    int heldCount() {
      return held.size();
    }

    void hold(UserEntity.Command c) {
      held.addLast(c);
    }

    /**
     * The oldest held commands whose events fit in one write: at most {@code maxEvents} events
     * (a delivery is as many events as items) and about {@code maxBytes} of content; always at
     * least one command.
     */
    List<UserEntity.Command> take(int maxEvents, long maxBytes) {
      List<UserEntity.Command> out = new ArrayList<>();
      int events = 0;
      long bytes = 0;
      while (!held.isEmpty()) {
        UserEntity.Command next = held.peekFirst();
        int e = eventsOf(next);
        long b = bytesOf(next);
        if (!out.isEmpty() && (events + e > maxEvents || bytes + b > maxBytes)) break;
        out.add(held.pollFirst());
        events += e;
        bytes += b;
      }
      return out;
    }

    private static int eventsOf(UserEntity.Command c) {
      return c instanceof UserEntity.Deliver d ? Math.max(1, d.items().size()) : 1;
    }

    private static long bytesOf(UserEntity.Command c) {
      if (c instanceof UserEntity.SendMessage s) return s.content() == null ? 0 : s.content().sizeBytes();
      if (c instanceof UserEntity.Deliver d) {
        long sum = 0;
        for (UserEntity.Delivery i : d.items()) sum += i.content() == null ? 0 : i.content().sizeBytes();
        return sum;
      }
      if (c instanceof UserEntity.GroupReceiptCounts g) return 16L + 20L * g.counts().size();
      return 0;
    }
  }

  private final Gate gate;

  WriteBatcher(Gate gate) {
    super(UserEntity.Command.class);
    this.gate = gate;
  }

  /** Commands that write: held while a write is in flight (or while older ones are held). */
  static boolean writes(UserEntity.Command c) {
    return c instanceof UserEntity.SendMessage || c instanceof UserEntity.Deliver
        || c instanceof UserEntity.PeerReceipt || c instanceof UserEntity.GroupReceiptCounts;
  }

  @Override
  public Behavior<UserEntity.Command> aroundReceive(TypedActorContext<UserEntity.Command> ctx,
      UserEntity.Command msg, ReceiveTarget<UserEntity.Command> target) {
    if (writes(msg) && (gate.writing || gate.hasHeld())) {
      gate.hold(msg);
      return Behaviors.same();
    }
    return target.apply(ctx, msg);
  }
}
