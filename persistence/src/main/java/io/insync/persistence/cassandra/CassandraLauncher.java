package io.insync.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one Apache Cassandra 5.0 node as a child JVM, for development, tests and single-box demos.
 *
 * <p>{@link #start()} generates {@code cassandra.yaml}, {@code cassandra-rackdc.properties} and a
 * {@code logback.xml} into {@code <data>/conf}, starts {@code java} (the parent's own
 * {@code java.home}) with Cassandra's JDK 17 module flags and the jars of {@link Settings#libDir()},
 * and returns once the node answers CQL. Cassandra's log goes to {@code <data>/logs/system.log}; the
 * child's stdout and stderr to {@code <data>/logs/console.log}. JMX is not opened.
 *
 * <p>The child never outlives the parent: its main class is {@link ParentWatchdog}, which exits the
 * child when its stdin pipe (held open by this launcher) reaches end of file, as happens when the
 * parent dies in any way, SIGKILL included. A JVM shutdown hook also stops the child on a normal
 * exit of the parent.
 *
 * <p>Not thread-safe for concurrent {@code start}/{@code stop} beyond what {@code synchronized}
 * gives; one launcher runs at most one process, and is not restartable once stopped.
 */
public final class CassandraLauncher implements AutoCloseable {

  /** Main class of Cassandra's server JVM. */
  static final String CASSANDRA_MAIN = "org.apache.cassandra.service.CassandraDaemon";

  private static final Logger log = LoggerFactory.getLogger(CassandraLauncher.class);
  private static final String LIB_PROPERTY = "insync.cassandra.lib";
  private static final String LIB_ENV = "INSYNC_CASSANDRA_LIB";
  private static final Path LIB_UNDER_PROJECT = Path.of("persistence", "cassandra-server", "target", "lib");
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final int LOG_TAIL_LINES = 40;

  /** Module flags from Cassandra's {@code conf/jvm17-server.options} (5.0). */
  private static final List<String> JDK17_MODULE_FLAGS = List.of(
      "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
      "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
      "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
      "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
      "--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
      "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
      "--add-exports", "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
      "--add-exports", "jdk.attach/sun.tools.attach=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.base/java.io=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens", "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/java.util=ALL-UNNAMED");

  private final Settings settings;
  private final CassandraConfigFiles files;
  private Process process;
  private boolean paused;
  private Thread shutdownHook;
  private Duration startupTime;
  private boolean stopped;

  /** A launcher for the given settings; nothing happens until {@link #start()}. */
  public CassandraLauncher(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.files = new CassandraConfigFiles(settings.dataDir());
  }

  /**
   * Starts Cassandra and waits until it answers {@code SELECT release_version FROM system.local}.
   *
   * @return this launcher
   * @throws IllegalStateException if the lib folder is missing, a Cassandra of ours already runs
   *     from the data folder, a port is taken, or the node dies or times out while starting (the
   *     message then holds the tail of its log); the child is stopped in every failure case
   */
  public synchronized CassandraLauncher start() {
    if (process != null || stopped) {
      throw new IllegalStateException("this launcher was already started; create a new one");
    }
    long began = System.nanoTime();
    Path libDir = checkedLibDir(settings.libDir() != null ? settings.libDir() : defaultLibDir());
    failIfAlreadyRunning();
    failIfPortTaken(settings.nativePort(), "native (CQL)");
    failIfPortTaken(settings.storagePort(), "storage");
    files.writeAll(settings);
    ClassFiles.copy(ParentWatchdog.class, files.watchdogClasses());

    List<String> command = command(settings, libDir, files);
    log.info("Starting Cassandra: data {}, CQL {}:{}, storage port {}, datacenter {}, heap {}",
        files.confDir().getParent(), settings.host(), settings.nativePort(), settings.storagePort(),
        settings.datacenter(), settings.heap());
    log.debug("Cassandra command line: {}", command);
    try {
      process = new ProcessBuilder(command)
          .directory(files.confDir().getParent().toFile())
          .redirectInput(ProcessBuilder.Redirect.PIPE)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(files.consoleLog().toFile()))
          .start();
      Files.writeString(files.pidFile(), Long.toString(process.pid()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.get(0), e);
    }
    shutdownHook = new Thread(this::destroyChild, "cassandra-launcher-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);

    try {
      String version = awaitCql(began);
      startupTime = Duration.ofNanos(System.nanoTime() - began);
      log.info("Cassandra {} (pid {}) answers CQL on {}:{} after {} ms", version, process.pid(),
          settings.host(), settings.nativePort(), startupTime.toMillis());
      return this;
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
  }

  /**
   * Stops the child: SIGTERM, up to 30 s for Cassandra's shutdown hooks, then SIGKILL. Idempotent;
   * does nothing if the launcher never started.
   */
  public synchronized void stop() {
    if (process == null || stopped) {
      stopped = true;
      return;
    }
    stopped = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down; the hook runs (or ran) destroyChild itself
    }
    destroyChild();
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  /** Opens a new driver session to this node, with its local datacenter set; the caller closes it. */
  public CqlSession openSession() {
    return CqlSession.builder()
        .withConfigLoader(driverConfig())
        .withLocalDatacenter(settings.datacenter())
        .build();
  }

  /** The settings this launcher was made with. */
  public Settings settings() {
    return settings;
  }

  /** Address Cassandra listens on (CQL and storage). */
  public String host() {
    return settings.host();
  }

  /** CQL (native transport) port. */
  public int nativePort() {
    return settings.nativePort();
  }

  /** Datacenter name of the node, to be used as the driver's local datacenter. */
  public String datacenter() {
    return settings.datacenter();
  }

  /** Absolute data folder: configuration, data, commit log, logs. */
  public Path dataDir() {
    return files.confDir().getParent();
  }

  /** Cassandra's log file. */
  public Path systemLog() {
    return files.systemLog();
  }

  /** Process id of the child JVM. */
  public synchronized long pid() {
    if (process == null) {
      throw new IllegalStateException("not started");
    }
    return process.pid();
  }

  /**
   * Freezes the child (SIGSTOP): Cassandra keeps its sockets open but answers nothing, as a node
   * does in a long GC pause or behind a dead network. For fault-injection tests; undo with
   * {@link #resume()}. A frozen child is still killed by {@link #stop()} (SIGKILL after the timeout).
   */
  public synchronized void pause() {
    signal("STOP");
    paused = true;
  }

  /** Thaws a child frozen by {@link #pause()} (SIGCONT). */
  public synchronized void resume() {
    signal("CONT");
    paused = false;
  }

  private void signal(String name) {
    long pid = pid();
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
      String out = new String(kill.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (kill.waitFor() != 0) throw new IllegalStateException("kill -" + name + " " + pid + " failed: " + out);
      log.info("Cassandra (pid {}) got SIG{}", pid, name);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Whether the child JVM is alive. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Time from {@link #start()} until the node answered CQL; empty until then. */
  public synchronized Optional<Duration> startupTime() {
    return Optional.ofNullable(startupTime);
  }

  /**
   * Closes the child's stdin pipe, as the operating system does when the parent dies; the child's
   * {@link ParentWatchdog} then exits it. For tests of the parent-death guarantee.
   */
  synchronized void closeChildStdin() throws IOException {
    process.getOutputStream().close();
  }

  /** The child's process handle, for tests. */
  synchronized Process process() {
    return process;
  }

  /**
   * The lib folder with {@code cassandra-all} and its jars: system property
   * {@code insync.cassandra.lib}, else environment variable {@code INSYNC_CASSANDRA_LIB}, else
   * {@code persistence/cassandra-server/target/lib} under the current folder or one of its parents.
   *
   * @throws IllegalStateException if the folder is missing or holds no jar
   */
  public static Path defaultLibDir() {
    String property = System.getProperty(LIB_PROPERTY);
    if (property != null && !property.isBlank()) {
      return checkedLibDir(Path.of(property));
    }
    String env = System.getenv(LIB_ENV);
    if (env != null && !env.isBlank()) {
      return checkedLibDir(Path.of(env));
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve(LIB_UNDER_PROJECT);
      if (Files.isDirectory(candidate)) {
        return checkedLibDir(candidate);
      }
    }
    throw new IllegalStateException("Cassandra's jars not found: set -D" + LIB_PROPERTY + " or "
        + LIB_ENV + ", or run `mvn -DskipTests package` first so that " + LIB_UNDER_PROJECT
        + " exists under the project folder (searched from " + Path.of("").toAbsolutePath() + " up)");
  }

  private static Path checkedLibDir(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    boolean hasCassandra;
    try (Stream<Path> jars = Files.isDirectory(abs) ? Files.list(abs) : Stream.empty()) {
      hasCassandra = jars.anyMatch(p -> p.getFileName().toString().startsWith("cassandra-all-"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + abs, e);
    }
    if (!hasCassandra) {
      throw new IllegalStateException("Cassandra lib folder " + abs + " is missing or holds no "
          + "cassandra-all jar: run `mvn -DskipTests package` first (module persistence/cassandra-server)");
    }
    return abs;
  }

  /** The child's full command line. */
  static List<String> command(Settings s, Path libDir, CassandraConfigFiles files) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xms" + s.heap());
    cmd.add("-Xmx" + s.heap());
    cmd.add("-Xss256k");
    cmd.addAll(List.of("-XX:+UseG1GC", "-XX:+ParallelRefProcEnabled", "-XX:MaxTenuringThreshold=1",
        "-XX:MaxGCPauseMillis=300", "-XX:+ExitOnOutOfMemoryError", "-XX:+HeapDumpOnOutOfMemoryError",
        "-XX:HeapDumpPath=" + files.logDir()));
    cmd.addAll(JDK17_MODULE_FLAGS);
    cmd.add("-Djdk.attach.allowAttachSelf=true");
    cmd.add("-Dio.netty.tryReflectionSetAccessible=true");
    cmd.add("-Dio.netty.allocator.useCacheForAllThreads=true");
    cmd.add("-Dio.netty.allocator.maxOrder=11");
    cmd.add("-Djava.net.preferIPv4Stack=true");
    cmd.add("-Dcassandra.config=" + files.yaml().toUri());
    cmd.add("-Dcassandra-rackdc.properties=" + files.rackdc().toUri());
    cmd.add("-Dlogback.configurationFile=" + files.logback().toUri());
    cmd.add("-Dcassandra.logdir=" + files.logDir());
    cmd.add("-Dcassandra.storagedir=" + files.confDir().getParent());
    cmd.add("-Dcassandra.triggers_dir=" + files.confDir().getParent().resolve("triggers"));
    // single-node start-up shortcuts (see DEPENDENCIES.md)
    cmd.add("-Dcassandra-foreground=yes");
    cmd.add("-Dcassandra.ring_delay_ms=100");
    cmd.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    // no -Dcassandra.jmx.local.port / remote.port: Cassandra then opens no JMX server
    cmd.add("-cp");
    cmd.add(files.watchdogClasses() + File.pathSeparator + libDir.resolve("*"));
    cmd.add(ParentWatchdog.class.getName());
    cmd.add(CASSANDRA_MAIN);
    return cmd;
  }

  private DriverConfigLoader driverConfig() {
    return DriverConfigLoader.programmaticBuilder()
        .withStringList(DefaultDriverOption.CONTACT_POINTS,
            List.of(settings.host() + ":" + settings.nativePort()))
        .withString(DefaultDriverOption.SESSION_NAME, "cassandra-launcher")
        .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, Duration.ofSeconds(5))
        .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(5))
        .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, Duration.ofSeconds(5))
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
        .build();
  }

  private String awaitCql(long began) {
    long deadline = began + settings.startTimeout().toNanos();
    RuntimeException lastError = null;
    while (true) {
      if (!process.isAlive()) {
        throw failure("Cassandra exited with status " + process.exitValue() + " while starting", lastError);
      }
      if (System.nanoTime() > deadline) {
        throw failure("Cassandra did not answer CQL on " + settings.host() + ":" + settings.nativePort()
            + " within " + settings.startTimeout().toSeconds() + " s", lastError);
      }
      if (acceptsConnections()) {
        try (CqlSession session = openSession()) {
          Row row = session.execute("SELECT release_version FROM system.local").one();
          return row == null ? "?" : row.getString("release_version");
        } catch (RuntimeException e) {
          lastError = e;
        }
      }
      sleep(250);
    }
  }

  private boolean acceptsConnections() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(settings.host(), settings.nativePort()), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private IllegalStateException failure(String what, Throwable cause) {
    String message = what + " (data folder " + dataDir() + ")"
        + "\n--- last lines of " + files.systemLog() + " ---\n" + LogTail.of(files.systemLog(), LOG_TAIL_LINES)
        + "\n--- last lines of " + files.consoleLog() + " ---\n" + LogTail.of(files.consoleLog(), LOG_TAIL_LINES);
    return new IllegalStateException(message, cause);
  }

  private void failIfAlreadyRunning() {
    Path pidFile = files.pidFile();
    if (!Files.isRegularFile(pidFile)) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(pidFile).trim());
    } catch (IOException | NumberFormatException e) {
      return; // unreadable or garbage: not a live process of ours
    }
    Optional<ProcessHandle> alive = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
        .filter(h -> h.info().commandLine().map(c -> c.contains(CASSANDRA_MAIN)).orElse(true));
    if (alive.isPresent()) {
      throw new IllegalStateException("A Cassandra started by CassandraLauncher is already running from "
          + dataDir() + " (pid " + pid + "); stop it (kill " + pid + ") or use another data folder");
    }
  }

  private void failIfPortTaken(int port, String name) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName(settings.host()), port));
    } catch (IOException e) {
      throw new IllegalStateException("Cannot start Cassandra: " + name + " port " + settings.host() + ":"
          + port + " is not free (" + e.getMessage() + ")", e);
    }
  }

  /** Stops the child process; used by {@link #stop()} and by the shutdown hook. */
  private void destroyChild() {
    if (paused && process != null && process.isAlive()) {
      try {
        resume(); // a frozen JVM would not run its shutdown hooks on SIGTERM
      } catch (RuntimeException e) {
        log.warn("Cannot resume Cassandra before stopping it", e);
      }
    }
    Process child = process;
    if (child == null) {
      return;
    }
    if (child.isAlive()) {
      log.info("Stopping Cassandra (pid {})", child.pid());
      child.destroy();
      try {
        if (!child.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
          log.warn("Cassandra (pid {}) did not stop within {} s; killing it", child.pid(), STOP_TIMEOUT.toSeconds());
          child.destroyForcibly();
          child.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        child.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try (OutputStream stdin = child.getOutputStream()) {
      // closing is all
    } catch (IOException e) {
      // already closed
    }
    try {
      Files.deleteIfExists(files.pidFile());
    } catch (IOException e) {
      log.warn("Cannot delete {}", files.pidFile(), e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Cassandra", e);
    }
  }

  /**
   * What to launch. Create with {@link #defaults()} and change with the {@code with…} methods.
   *
   * @param libDir folder holding {@code cassandra-all} and its jars; {@code null} means
   *     {@link CassandraLauncher#defaultLibDir()}, resolved at {@link CassandraLauncher#start()}
   * @param dataDir folder for everything the node writes: {@code conf/} (generated configuration),
   *     {@code data/}, {@code commitlog/}, {@code saved_caches/}, {@code hints/}, {@code cdc_raw/}, {@code triggers/},
   *     {@code logs/} and the pid file; created if missing, data kept across starts. Default
   *     {@code cassandra-data} in the current folder
   * @param host address for CQL and inter-node traffic ({@code listen_address}, {@code rpc_address}),
   *     and the seed; default {@code 127.0.0.1}
   * @param nativePort CQL (native transport) port; default 9042
   * @param storagePort inter-node (gossip, streaming) port; default 7000
   * @param heap child JVM heap, {@code -Xms} and {@code -Xmx}, in JVM syntax ({@code 1G}, {@code 768M});
   *     default {@code 1G}
   * @param clusterName {@code cluster_name}; nodes only join a cluster of the same name; default
   *     {@code insync}. It cannot be changed once the data folder holds data
   * @param datacenter datacenter name written to {@code cassandra-rackdc.properties} for
   *     {@code GossipingPropertyFileSnitch}; clients use it as their local datacenter and keyspaces
   *     name it in their replication; default {@code dc1}
   * @param rack rack name for the snitch; default {@code rack1}
   * @param startTimeout how long {@link CassandraLauncher#start()} waits for CQL to answer; default 120 s
   */
  public record Settings(
      Path libDir,
      Path dataDir,
      String host,
      int nativePort,
      int storagePort,
      String heap,
      String clusterName,
      String datacenter,
      String rack,
      Duration startTimeout) {

    private static final Pattern HEAP = Pattern.compile("[1-9][0-9]*[kKmMgG]?");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_.:-]+");

    /** Validates every field. */
    public Settings {
      Objects.requireNonNull(dataDir, "dataDir");
      requireMatch(HOST, host, "host");
      requirePort(nativePort, "nativePort");
      requirePort(storagePort, "storagePort");
      if (nativePort == storagePort) {
        throw new IllegalArgumentException("nativePort and storagePort must differ: " + nativePort);
      }
      requireMatch(HEAP, heap, "heap");
      Objects.requireNonNull(clusterName, "clusterName");
      if (clusterName.isBlank()) {
        throw new IllegalArgumentException("clusterName must not be blank");
      }
      requireMatch(NAME, datacenter, "datacenter");
      requireMatch(NAME, rack, "rack");
      Objects.requireNonNull(startTimeout, "startTimeout");
      if (startTimeout.isNegative() || startTimeout.isZero()) {
        throw new IllegalArgumentException("startTimeout must be positive: " + startTimeout);
      }
    }

    /** Defaults: see the record's parameters. */
    public static Settings defaults() {
      return new Settings(null, Path.of("cassandra-data"), "127.0.0.1", 9042, 7000, "1G", "insync",
          "dc1", "rack1", Duration.ofSeconds(120));
    }

    public Settings withLibDir(Path value) {
      return new Settings(value, dataDir, host, nativePort, storagePort, heap, clusterName, datacenter, rack, startTimeout);
    }

    public Settings withDataDir(Path value) {
      return new Settings(libDir, value, host, nativePort, storagePort, heap, clusterName, datacenter, rack, startTimeout);
    }

    public Settings withHost(String value) {
      return new Settings(libDir, dataDir, value, nativePort, storagePort, heap, clusterName, datacenter, rack, startTimeout);
    }

    public Settings withNativePort(int value) {
      return new Settings(libDir, dataDir, host, value, storagePort, heap, clusterName, datacenter, rack, startTimeout);
    }

    public Settings withStoragePort(int value) {
      return new Settings(libDir, dataDir, host, nativePort, value, heap, clusterName, datacenter, rack, startTimeout);
    }

    public Settings withHeap(String value) {
      return new Settings(libDir, dataDir, host, nativePort, storagePort, value, clusterName, datacenter, rack, startTimeout);
    }

    public Settings withClusterName(String value) {
      return new Settings(libDir, dataDir, host, nativePort, storagePort, heap, value, datacenter, rack, startTimeout);
    }

    public Settings withDatacenter(String value) {
      return new Settings(libDir, dataDir, host, nativePort, storagePort, heap, clusterName, value, rack, startTimeout);
    }

    public Settings withRack(String value) {
      return new Settings(libDir, dataDir, host, nativePort, storagePort, heap, clusterName, datacenter, value, startTimeout);
    }

    public Settings withStartTimeout(Duration value) {
      return new Settings(libDir, dataDir, host, nativePort, storagePort, heap, clusterName, datacenter, rack, value);
    }

    private static void requirePort(int port, String name) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(name + " out of range: " + port);
      }
    }

    private static void requireMatch(Pattern pattern, String value, String name) {
      Objects.requireNonNull(value, name);
      if (!pattern.matcher(value).matches()) {
        throw new IllegalArgumentException("invalid " + name + ": '" + value + "'");
      }
    }
  }
}
