package io.insync.ops.cli;

import io.insync.persistence.cassandra.CassandraLauncher;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code bin/insync cassandra}: only the local Cassandra, with the schema applied. */
@Command(name = "cassandra", mixinStandardHelpOptions = true,
    description = "Start a local Cassandra 5 (a child process) with insync's schema; Ctrl-C stops it.")
final class CassandraCommand implements Callable<Integer> {
  @Mixin CassandraOptions cassandra;

  @Override
  public Integer call() throws Exception {
    CassandraLauncher c = cassandra.start();
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      c.stop();
      done.countDown();
    }, "insync-cassandra-stop"));
    System.out.println("Cassandra ready on " + c.host() + ":" + c.nativePort() + " (dc " + c.datacenter()
        + ", pid " + c.pid() + ", log " + c.systemLog() + ")");
    System.out.flush();
    done.await();
    return 0;
  }
}
