package io.insync.gateway;

import io.insync.persistence.user.UserEntity;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Stands in for every user entity: answers {@code Connect} at once, records every command, and
 * answers the others only as its policy says (or when a test answers them itself).
 */
final class FakeUser {
  /** Every command received, in order (Connect included). */
  final BlockingQueue<UserEntity.Command> received = new LinkedBlockingQueue<>();
  final AtomicInteger sends = new AtomicInteger();
  final AtomicInteger syncs = new AtomicInteger();
  volatile long latestSeq = 0;
  /** When false, Connects are recorded but left for the test to answer. */
  volatile boolean answerConnect = true;
  /** Answers a Send/Sync with the returned reply, or leaves it unanswered (null). */
  volatile Function<UserEntity.Command, Object> policy = c -> null;

  Behavior<UserEntity.Command> behavior() {
    return Behaviors.receive((ctx, cmd) -> {
      // counted before a test can take it from received: a test that read it, answered it and then
      // reads the counter must see it counted (BackpressureTest once saw 199 of 200 under a CPU hog)
      if (cmd instanceof UserEntity.SendMessage) sends.incrementAndGet();
      if (cmd instanceof UserEntity.Sync) syncs.incrementAndGet();
      received.add(cmd);
      if (cmd instanceof UserEntity.Connect c) {
        if (answerConnect) c.replyTo().tell(new UserEntity.Connected(latestSeq, 0));
      } else if (cmd instanceof UserEntity.SendMessage s) {
        Object r = policy.apply(cmd);
        if (r != null) s.replyTo().tell((UserEntity.SendResult) r);
      } else if (cmd instanceof UserEntity.Sync s) {
        Object r = policy.apply(cmd);
        if (r != null) s.replyTo().tell((UserEntity.SyncResult) r);
      }
      return Behaviors.same();
    });
  }

  /** The next command of the given type (skipping others), or fails after 5 s. */
  <T extends UserEntity.Command> T next(Class<T> type) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      UserEntity.Command c = received.poll(100, TimeUnit.MILLISECONDS);
      if (type.isInstance(c)) return type.cast(c);
    }
    throw new AssertionError("no " + type.getSimpleName() + " within 5 s");
  }

  /** Waits until {@code counter} has not changed for {@code quietMs} and returns its value. */
  static int settle(AtomicInteger counter, long quietMs) throws InterruptedException {
    int last = counter.get();
    long since = System.nanoTime();
    while (System.nanoTime() - since < TimeUnit.MILLISECONDS.toNanos(quietMs)) {
      Thread.sleep(20);
      int now = counter.get();
      if (now != last) {
        last = now;
        since = System.nanoTime();
      }
    }
    return last;
  }
}
