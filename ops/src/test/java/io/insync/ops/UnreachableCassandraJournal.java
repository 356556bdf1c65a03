package io.insync.ops;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.cassandra.journal.CassandraJournal;
import scala.collection.immutable.Seq;
import scala.concurrent.Future;
import scala.runtime.BoxedUnit;
import scala.util.Try;

/**
 * Test-only journal for node processes, in the manner of {@link FaultyCassandraJournal}: the Cassandra
 * journal, except that while the file named by the system property {@code insync.test.journal-down} exists,
 * every write and every recovery of this node fails as if Cassandra were unreachable. Only this node's
 * journal is affected (the shared test Cassandra keeps serving the other nodes and tests). Enable it with
 * {@code -Dpekko.persistence.cassandra.journal.class=io.insync.ops.UnreachableCassandraJournal}.
 */
public final class UnreachableCassandraJournal extends CassandraJournal {
  private final Path down;

  public UnreachableCassandraJournal(Config cfg, String cfgPath) {
    super(cfg, cfgPath);
    String f = System.getProperty("insync.test.journal-down");
    this.down = f == null ? null : Path.of(f);
  }

  private boolean isDown() {
    return down != null && Files.exists(down);
  }

  private static <T> Future<T> unreachable(String what) {
    return scala.concurrent.Future$.MODULE$.failed(new IOException("injected: Cassandra unreachable (" + what + ")"));
  }

  @Override
  public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
    return isDown() ? unreachable("write") : super.asyncWriteMessages(messages);
  }

  @Override
  public Future<Object> asyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    return isDown() ? unreachable("recovery of " + persistenceId) : super.asyncReadHighestSequenceNr(persistenceId, fromSequenceNr);
  }
}
