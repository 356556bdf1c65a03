package io.insync.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving tests one real Cassandra per test JVM.
 *
 * <p>Use {@code @ExtendWith(CassandraExtension.class)} on a test class; the first use starts
 * Cassandra (in {@code target/cassandra-test-<pid>} of the module, on free ports, 768 MB heap,
 * datacenter {@code dc1}) and applies {@link CqlSchema} with replication factor 1. Later test
 * classes reuse it; a shutdown hook stops it when the test JVM exits. If the start fails, every
 * later use fails with the same error instead of trying again.
 *
 * <p>Needs Cassandra's jars: the build passes {@code -Dinsync.cassandra.lib}; see
 * {@link CassandraLauncher#defaultLibDir()}.
 */
public final class CassandraExtension implements BeforeAllCallback {

  /** Datacenter of the test node. */
  public static final String DATACENTER = "dc1";

  private static CassandraLauncher launcher;
  private static RuntimeException startFailure;

  @Override
  public void beforeAll(ExtensionContext context) {
    launcher();
  }

  /** The running launcher, started on first call. */
  public static synchronized CassandraLauncher launcher() {
    if (startFailure != null) {
      throw new IllegalStateException("the test Cassandra failed to start earlier", startFailure);
    }
    if (launcher == null) {
      try {
        launcher = startNode();
      } catch (RuntimeException e) {
        startFailure = e;
        throw e;
      }
    }
    return launcher;
  }

  /** Host of the test node. */
  public static String host() {
    return launcher().host();
  }

  /** CQL port of the test node. */
  public static int port() {
    return launcher().nativePort();
  }

  /** Datacenter of the test node ({@value #DATACENTER}). */
  public static String datacenter() {
    return launcher().datacenter();
  }

  /**
   * Configuration that points pekko-persistence-cassandra (and its driver) at the test node and at
   * the insync keyspaces. Layer it over the test's own config with {@code withFallback}.
   */
  public static Config pekkoConfig() {
    CassandraLauncher node = launcher();
    return ConfigFactory.parseString(String.join("\n",
        "datastax-java-driver.basic.contact-points = [\"" + node.host() + ":" + node.nativePort() + "\"]",
        "datastax-java-driver.basic.load-balancing-policy.local-datacenter = \"" + node.datacenter() + "\"",
        "datastax-java-driver.advanced.reconnect-on-init = true",
        "pekko.persistence.cassandra.journal.keyspace = insync_journal",
        "pekko.persistence.cassandra.snapshot.keyspace = insync_snapshot"));
  }

  /** A port nobody listens on right now on 127.0.0.1, different from each of {@code taken}. */
  static int freePort(Set<Integer> taken) {
    for (int attempt = 0; attempt < 20; attempt++) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = socket.getLocalPort();
        if (!taken.contains(port)) {
          return port;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot find a free port", e);
      }
    }
    throw new IllegalStateException("no free port found");
  }

  /** The module folder: Maven's {@code basedir} when set, else the working folder. */
  static Path moduleDir() {
    String basedir = System.getProperty("basedir");
    return (basedir != null ? Path.of(basedir) : Path.of("")).toAbsolutePath();
  }

  /** Settings for a test node in {@code target/<name>} with free ports and a 768 MB heap. */
  static CassandraLauncher.Settings testSettings(String folderName) {
    Set<Integer> ports = new HashSet<>();
    int nativePort = freePort(ports);
    ports.add(nativePort);
    int storagePort = freePort(ports);
    return CassandraLauncher.Settings.defaults()
        .withDataDir(moduleDir().resolve("target").resolve(folderName))
        .withHost("127.0.0.1")
        .withNativePort(nativePort)
        .withStoragePort(storagePort)
        .withHeap("768M")
        .withClusterName("insync-test")
        .withDatacenter(DATACENTER);
  }

  private static CassandraLauncher startNode() {
    CassandraLauncher node = new CassandraLauncher(testSettings("cassandra-test-" + ProcessHandle.current().pid()));
    Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "cassandra-extension-stop"));
    node.start();
    try (CqlSession session = node.openSession()) {
      CqlSchema.apply(session, DATACENTER, 1);
    }
    return node;
  }
}
