package io.insync.ops.fence;

import com.typesafe.config.Config;
import io.insync.persistence.metrics.InsyncMetrics;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.cassandra.journal.CassandraJournal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.immutable.Seq;
import scala.Function1;
import org.apache.pekko.dispatch.ExecutionContexts;
import scala.concurrent.Future;
import scala.runtime.BoxedUnit;
import scala.util.Try;

/**
 * The Cassandra journal, asking the node's {@link SelfFence} before every write: a node that may
 * have been replaced (paused too long, on the minority side, downed) fails the write instead of
 * writing a second writer's events into a user's journal. The entity takes a refused write as any
 * journal failure (it restarts with backoff, its client gets no ack and retries elsewhere).
 * Configured as {@code pekko.persistence.cassandra.journal.class} (ops persistence.conf).
 */
public class FencedCassandraJournal extends CassandraJournal {
  private static final Logger log = LoggerFactory.getLogger(FencedCassandraJournal.class);
  private static final AtomicLong refused = new AtomicLong();
  /** Runs the timing callbacks where the write or replay completes (they only record a figure). */
  private static final scala.concurrent.ExecutionContext SAME_THREAD = ExecutionContexts.fromExecutor(Runnable::run);

  private final SelfFence fence;

  public FencedCassandraJournal(Config cfg, String cfgPath) {
    super(cfg, cfgPath);
    this.fence = SelfFence.get(context().system());
  }

  /** Writes refused by the fence in this JVM so far. */
  public static long refusedWrites() {
    return refused.get();
  }

  /** Every write batch, timed and counted ({@link InsyncMetrics#journalWrite}): a refused or failed one too. */
  @Override
  public final Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
    long start = System.nanoTime();
    Future<Seq<Try<BoxedUnit>>> written = write(messages);
    written.onComplete(t -> {
      InsyncMetrics.journalWrite(System.nanoTime() - start, t.isSuccess());
      return BoxedUnit.UNIT;
    }, SAME_THREAD);
    return written;
  }

  /** Every replay (an entity's recovery), timed and counted ({@link InsyncMetrics#journalRead}). */
  @Override
  public Future<BoxedUnit> asyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
      Function1<PersistentRepr, BoxedUnit> recoveryCallback) {
    long start = System.nanoTime();
    Future<BoxedUnit> replayed = super.asyncReplayMessages(persistenceId, fromSequenceNr, toSequenceNr, max,
        recoveryCallback);
    replayed.onComplete(t -> {
      InsyncMetrics.journalRead(System.nanoTime() - start, t.isSuccess());
      return BoxedUnit.UNIT;
    }, SAME_THREAD);
    return replayed;
  }

  /**
   * The first read of every recovery: a new user's has nothing to replay, so without this its recovery read
   * would go untimed, and a Cassandra that cannot answer reads would count no failure.
   */
  @Override
  public Future<Object> asyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    long start = System.nanoTime();
    Future<Object> read = super.asyncReadHighestSequenceNr(persistenceId, fromSequenceNr);
    read.onComplete(t -> {
      InsyncMetrics.journalRead(System.nanoTime() - start, t.isSuccess());
      return BoxedUnit.UNIT;
    }, SAME_THREAD);
    return read;
  }

  /** The write behind the fence (a test journal overrides this to inject failures). */
  protected Future<Seq<Try<BoxedUnit>>> write(Seq<AtomicWrite> messages) {
    String why = fence.refusal();
    if (why != null) {
      long n = refused.incrementAndGet();
      if (n == 1 || n % 100 == 0) {
        log.warn("one writer per user: refused a journal write of {} ({} refused so far): {}",
            messages.head().persistenceId(), n, why);
      }
      return scala.concurrent.Future$.MODULE$.failed(new FencedException(why));
    }
    return super.asyncWriteMessages(messages);
  }

  /** A journal write this node refused to make. */
  public static final class FencedException extends RuntimeException {
    public FencedException(String reason) {
      super("write refused: " + reason);
    }
  }
}
