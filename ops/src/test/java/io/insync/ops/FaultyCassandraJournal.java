package io.insync.ops;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import io.insync.ops.fence.FencedCassandraJournal;
import org.apache.pekko.persistence.AtomicWrite;
import scala.collection.immutable.Seq;
import scala.concurrent.Future;
import scala.runtime.BoxedUnit;
import scala.util.Try;

/**
 * Test-only journal for node processes: the node's (fenced) Cassandra journal, except that writes of the
 * persistence ids listed in a file (one per line; system property {@code insync.test.failing-writes})
 * fail ({@code *} on a line: every write fails). Edit the file while the node runs to start or clear the fault. Enable it with
 * {@code -Dpekko.persistence.cassandra.journal.class=io.insync.ops.FaultyCassandraJournal}
 * (nodes run with the test classpath).
 */
public final class FaultyCassandraJournal extends FencedCassandraJournal {
  private final Path file;

  public FaultyCassandraJournal(Config cfg, String cfgPath) {
    super(cfg, cfgPath);
    String f = System.getProperty("insync.test.failing-writes");
    this.file = f == null ? null : Path.of(f);
  }

  private Set<String> failing() {
    if (file == null || !Files.exists(file)) return Set.of();
    try {
      return Set.copyOf(Files.readAllLines(file).stream().map(String::trim).filter(s -> !s.isEmpty()).toList());
    } catch (IOException e) {
      return Set.of();
    }
  }

  @Override
  protected Future<Seq<Try<BoxedUnit>>> write(Seq<AtomicWrite> messages) {
    Set<String> failing = failing();
    if (!failing.isEmpty()) {
      var it = messages.iterator();
      while (it.hasNext()) {
        String pid = it.next().persistenceId();
        if (failing.contains(pid) || failing.contains("*")) {
          return scala.concurrent.Future$.MODULE$.failed(new IOException("injected write failure for " + pid));
        }
      }
    }
    return super.write(messages);
  }
}
