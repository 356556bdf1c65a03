package io.insync.loadtest;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bin/insync loadtest SCENARIO [options]}: runs one Gatling scenario against a running system and
 * exits 0 if every check passed, non-zero otherwise. Options become {@code insync.loadtest.*} properties
 * (see {@link LoadParams} and docs/loadtest.md).
 */
public final class LoadtestMain {
  /** Scenario names on the command line, and their simulation classes. */
  public static final Map<String, Class<?>> SCENARIOS = scenarios();

  private static final List<String> OPTIONS = List.of(
      "target", "users", "rate", "duration", "secret", "messages", "page", "heartbeat", "think", "timeout", "run",
      "settle");

  private LoadtestMain() {}

  public static void main(String[] args) {
    System.out.flush();
    System.exit(run(args));
  }

  /** Runs the scenario the arguments name; returns the exit code (0: every check passed). */
  public static int run(String... args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      System.out.println(usage());
      return args.length == 0 ? 2 : 0;
    }
    Class<?> simulation = SCENARIOS.get(args[0].toLowerCase(Locale.ROOT));
    if (simulation == null && args[0].contains(".")) simulation = simulationClass(args[0]);
    if (simulation == null) {
      System.err.println("insync loadtest: unknown scenario '" + args[0] + "'\n" + usage());
      return 2;
    }
    Path results = Path.of("target", "gatling");
    Map<String, String> props = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || i + 1 >= args.length) {
        System.err.println("insync loadtest: expected --option VALUE, got '" + arg + "'\n" + usage());
        return 2;
      }
      String name = arg.substring(2);
      String value = args[++i];
      if (name.equals("results")) {
        results = Path.of(value);
      } else if (OPTIONS.contains(name)) {
        props.put(name, value);
      } else {
        System.err.println("insync loadtest: unknown option '" + arg + "'\n" + usage());
        return 2;
      }
    }
    // the options are the whole configuration of a run: nothing carries over from an earlier run in this JVM
    System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(LoadParams.PREFIX))
        .forEach(System::clearProperty);
    props.forEach((name, value) -> System.setProperty(LoadParams.PREFIX + name, value));
    try {
      LoadParams.fromSystemProperties(); // a bad value is refused here, with its name, before Gatling starts
    } catch (IllegalArgumentException e) {
      System.err.println("insync loadtest: " + e.getMessage());
      return 2;
    }
    return gatling(simulation.getName(), results);
  }

  /** Runs one simulation class in this JVM, its results (and HTML report) under {@code results}. */
  public static int gatling(String simulationClass, Path results) {
    return io.gatling.app.Gatling$.MODULE$.fromArgs(new String[] {
        "-s", simulationClass, "-rf", results.toAbsolutePath().toString(), "-l", "insync-loadtest"});
  }

  /** A Simulation class named in full (your own, on the classpath), or null. */
  private static Class<?> simulationClass(String name) {
    try {
      Class<?> c = Class.forName(name);
      return io.gatling.javaapi.core.Simulation.class.isAssignableFrom(c) ? c : null;
    } catch (ClassNotFoundException e) {
      return null;
    }
  }

  static String usage() {
    return String.join("\n",
        "usage: insync loadtest SCENARIO [--target HOST:PORT] [--users N] [--rate R] [--duration D] [options]",
        "scenarios: connect-idle, one-to-one-chat, reconnect-storm, offline-catch-up (or a Simulation class name)",
        "options: --target (127.0.0.1:7401, the node's WebSocket port) --users (10) --rate (5 per second)",
        "  --duration (30s) --messages (10) --page (0: server default) --heartbeat (0s: AuthOk's)",
        "  --think (100ms) --timeout (10s) --secret ($INSYNC_TOKEN_SECRET or the dev secret) --run (fresh id)",
        "  --settle (5s, reconnect-storm) --results (target/gatling)",
        "see docs/loadtest.md");
  }

  private static Map<String, Class<?>> scenarios() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("connect-idle", ConnectIdle.class);
    m.put("one-to-one-chat", OneToOneChat.class);
    m.put("reconnect-storm", ReconnectStorm.class);
    m.put("offline-catch-up", OfflineCatchUp.class);
    for (Class<?> c : List.copyOf(m.values())) m.put(c.getSimpleName().toLowerCase(Locale.ROOT), c);
    return Map.copyOf(m);
  }
}
