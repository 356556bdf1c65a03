package io.insync.ops.ready;

import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * Proves that this node's journal and snapshot store answer: a persistent actor, local to the
 * node (not sharded), that recovers an id which never has events and then answers. Commands wait
 * (are stashed) until recovery is done, so the answer means the journal plugin on this node has
 * started, connected its driver session, prepared its statements and answered a read: the cost a
 * user's first recovery here would otherwise pay while a client waits. It never writes, so any
 * number of nodes may run it at once.
 */
public final class JournalProbe
    extends EventSourcedBehavior<JournalProbe.Recovered, JournalProbe.NoEvent, JournalProbe.NoState> {

  /** Answered once recovery is done; the probe then stops. */
  public record Recovered(ActorRef<Done> replyTo) {}

  /** Nothing is ever persisted. */
  public enum NoEvent {}

  /** The (empty) state. */
  public enum NoState { INSTANCE }

  static final PersistenceId ID = PersistenceId.ofUniqueId("insync-node-journal-probe");

  public static Behavior<Recovered> create() {
    return new JournalProbe();
  }

  private JournalProbe() {
    super(ID);
  }

  @Override
  public NoState emptyState() {
    return NoState.INSTANCE;
  }

  @Override
  public CommandHandler<Recovered, NoEvent, NoState> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Recovered.class, (state, cmd) -> Effect().none().thenRun(s -> cmd.replyTo().tell(Done.getInstance()))
            .thenStop())
        .build();
  }

  @Override
  public EventHandler<NoState, NoEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().build();
  }
}
