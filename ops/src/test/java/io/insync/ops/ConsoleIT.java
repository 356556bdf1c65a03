package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.ops.management.MiniJson;
import io.insync.persistence.cassandra.CassandraExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The web console (issue 10, item 5) in headless Chromium against two real node processes under a 1:1 load with
 * a flag set: the page served at {@code /console/} shows every member with its status and version, the shards,
 * entities and connections per node and in total, live rates for every node, the flag with its step, and no
 * error line; each value is what the admin API answers at that moment. A screenshot goes to {@code
 * target/console.png}. Chromium is Debian's {@code chromium}: installed if missing and possible (as root), else
 * the test is skipped saying so.
 */
@ExtendWith(CassandraExtension.class)
class ConsoleIT {
  private static final String TOKEN = "console-test-token-0123456789abcdef";

  @Test
  void theConsoleShowsWhatTheAdminApiSays() throws Exception {
    Path chromium = chromium().orElse(null);
    Assumptions.assumeTrue(chromium != null, "chromium is not installed and cannot be installed here (apt-get "
        + "install chromium needs root and the Debian mirror): the console test needs Debian's chromium");
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<NodeProcess> nodes = new ArrayList<>();
    try {
      for (String n : List.of("console-a", "console-b")) {
        nodes.add(new NodeProcess(cassandra, n).withJvmArgs("-Dinsync.management.token=" + TOKEN));
      }
      ManagementIT.startCluster(nodes);
      NodeProcess a = nodes.get(0);
      ManagementIT.Answer flag = ManagementIT.http("PUT", a, "/insync/flags/console-test", "Bearer " + TOKEN,
          "percent=10&who=console-it");
      assertEquals(200, flag.status(), flag::body);
      try (PairLoad load = new PairLoad(run, 4, a.tcpPort(), nodes.get(1).tcpPort())) {
        load.connectAll();
        load.start(20);
        assertTrue(load.awaitAcked(40, Duration.ofSeconds(60)), "the load runs");
        // both nodes have published a metrics tick (every 5 s), with the load's sends in it
        ManagementIT.awaitTrue(Duration.ofSeconds(60), () -> statsNodes(a, false) == 2 && statsNodes(a, true) >= 1,
            "both nodes in /insync/stats, sends counted");

        String url = ManagementIT.url(a) + "/console/";
        String lastProblem = "";
        for (int attempt = 1; attempt <= 3; attempt++) {
          String dom = run(chromium, "--virtual-time-budget=8000", "--dump-dom", url);
          Optional<String> problem = compare(dom, a);
          if (problem.isEmpty()) {
            System.out.println("console: the page agrees with the admin API (attempt " + attempt + ")");
            lastProblem = "";
            break;
          }
          lastProblem = problem.get();
          System.out.println("console: attempt " + attempt + " differs (values moved between the reads?): " + lastProblem);
        }
        assertEquals("", lastProblem, "the console shows what the admin API says");

        Path shot = Path.of("target", "console.png").toAbsolutePath();
        Files.deleteIfExists(shot);
        run(chromium, "--window-size=1400,1000", "--virtual-time-budget=8000", "--screenshot=" + shot, url);
        assertTrue(Files.size(shot) > 10_000, "a screenshot of the page: " + shot);
        byte[] png = Files.readAllBytes(shot);
        assertEquals((byte) 0x89, png[0], "a PNG");
        assertEquals('P', png[1]);
        System.out.println("console: screenshot " + shot + " (" + png.length + " bytes)");
        load.stop();
      }
    } finally {
      for (NodeProcess n : nodes) n.close();
    }
  }

  /** What differs between the page ({@code dom}) and the admin API of {@code node}, if anything. */
  @SuppressWarnings("unchecked")
  private static Optional<String> compare(String dom, NodeProcess node) {
    if (!dom.contains("<body data-loaded=\"true\"")) return Optional.of("the page never loaded every route: " + errors(dom));
    if (!errors(dom).isEmpty()) return Optional.of("error lines: " + errors(dom));
    Map<String, Object> members = json(node, "/cluster/members");
    Map<String, Object> shards = json(node, "/insync/shards");
    Map<String, Object> connections = json(node, "/insync/connections");
    Map<String, Object> flags = json(node, "/insync/flags");
    Map<String, Map<String, String>> rows = rows(dom, "data-node");
    List<String> problems = new ArrayList<>();
    List<Map<String, Object>> memberList = (List<Map<String, Object>>) members.get("members");
    check(problems, "members", String.valueOf(memberList.size()), attribute(dom, "data-members"));
    for (Map<String, Object> m : memberList) {
      Map<String, String> row = rows.get((String) m.get("node"));
      if (row == null) {
        problems.add("no row for member " + m.get("node"));
        continue;
      }
      check(problems, m.get("node") + " status", (String) m.get("status"), row.get("status"));
    }
    for (Map<String, Object> n : (List<Map<String, Object>>) shards.get("nodes")) {
      Map<String, String> row = rows.getOrDefault((String) n.get("node"), Map.of());
      Map<String, Object> user = (Map<String, Object>) ((Map<String, Object>) n.get("regions")).get("User");
      check(problems, n.get("node") + " version", String.valueOf(n.get("version")), row.get("version"));
      check(problems, n.get("node") + " User shards", number(user.get("shards")), row.get("user-shards"));
      check(problems, n.get("node") + " User entities", number(user.get("entities")), row.get("user-entities"));
    }
    for (Map<String, Object> n : (List<Map<String, Object>>) connections.get("nodes")) {
      Map<String, String> row = rows.getOrDefault((String) n.get("node"), Map.of());
      check(problems, n.get("node") + " connections", number(n.get("connections")), row.get("connections"));
      String sends = row.getOrDefault("sends", "–");
      if (!sends.matches("\\d+\\.\\d")) problems.add(n.get("node") + " shows no send rate: " + sends);
    }
    check(problems, "total connections", number(connections.get("total")), text(dom, "id=\"connections-total\""));
    Map<String, Map<String, String>> flagRows = rows(dom, "data-flag");
    for (Map<String, Object> f : (List<Map<String, Object>>) flags.get("flags")) {
      Map<String, String> row = flagRows.getOrDefault((String) f.get("name"), Map.of());
      check(problems, "flag " + f.get("name") + " step", (String) f.get("step"), row.get("step"));
      check(problems, "flag " + f.get("name") + " percent", number(f.get("percent")), row.get("percent"));
    }
    if (!flagRows.containsKey("console-test")) problems.add("the flag set by the test is not shown: " + flagRows.keySet());
    return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
  }

  private static void check(List<String> problems, String what, String api, String page) {
    if (!api.equals(page)) problems.add(what + ": API " + api + ", page " + page);
  }

  /** A JSON number as the page prints it: an integer without a fraction. */
  private static String number(Object n) {
    double d = ((Number) n).doubleValue();
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  /** Each {@code <tr attr="key">} of the page: its cells by {@code data-field}. */
  private static Map<String, Map<String, String>> rows(String dom, String attr) {
    Map<String, Map<String, String>> out = new TreeMap<>();
    Matcher tr = Pattern.compile("<tr " + attr + "=\"([^\"]+)\"[^>]*>(.*?)</tr>", Pattern.DOTALL).matcher(dom);
    while (tr.find()) {
      Map<String, String> cells = new TreeMap<>();
      Matcher td = Pattern.compile("<td data-field=\"([^\"]+)\"[^>]*>([^<]*)</td>").matcher(tr.group(2));
      while (td.find()) cells.put(td.group(1), unescape(td.group(2)));
      out.put(unescape(tr.group(1)), cells);
    }
    return out;
  }

  private static String text(String dom, String marker) {
    Matcher m = Pattern.compile(Pattern.quote(marker) + "[^>]*>([^<]*)<").matcher(dom);
    return m.find() ? unescape(m.group(1)) : null;
  }

  private static String attribute(String dom, String name) {
    Matcher m = Pattern.compile(name + "=\"([^\"]*)\"").matcher(dom);
    return m.find() ? m.group(1) : null;
  }

  private static List<String> errors(String dom) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("<li data-error=\"\">([^<]*)</li>").matcher(dom);
    while (m.find()) out.add(unescape(m.group(1)));
    return out;
  }

  private static String unescape(String s) {
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> json(NodeProcess node, String path) {
    ManagementIT.Answer r = ManagementIT.get(node, path);
    if (r.status() != 200) throw new AssertionError(path + ": " + r.status() + " " + r.body());
    return (Map<String, Object>) MiniJson.parse(r.body());
  }

  @SuppressWarnings("unchecked")
  private static int statsNodes(NodeProcess node, boolean withSends) {
    ManagementIT.Answer r = ManagementIT.get(node, "/insync/stats");
    if (r.status() != 200) return 0;
    Map<String, Object> s = (Map<String, Object>) MiniJson.parse(r.body());
    if (!Boolean.TRUE.equals(s.get("metrics"))) return 0;
    return (int) ((List<Map<String, Object>>) s.get("nodes")).stream()
        .filter(n -> !withSends || n.get("sends_per_s") instanceof Number x && x.doubleValue() > 0).count();
  }

  /** Runs headless Chromium with {@code args} (bounded: 90 s) and returns what it printed on stdout. */
  private static String run(Path chromium, String... args) throws Exception {
    Path profile = Files.createTempDirectory("console-it-chromium");
    Path out = Files.createTempFile("console-it", ".out");
    List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      if (!p.waitFor(90, TimeUnit.SECONDS)) throw new AssertionError("chromium did not finish within 90 s: " + cmd);
      assertEquals(0, p.exitValue(), () -> "chromium failed: " + cmd);
      return Files.readString(out, StandardCharsets.UTF_8);
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
      deleteTree(profile);
    }
  }

  /** Debian's chromium on the PATH; installed with apt-get when missing and this runs as root. */
  static Optional<Path> chromium() throws InterruptedException {
    Optional<Path> found = onPath();
    if (found.isPresent()) return found;
    if (!"root".equals(System.getProperty("user.name"))) return Optional.empty();
    // the package lists may be missing or old on a fresh machine: refreshed once if the first try fails
    if (apt("install", "-y", "-q", "chromium") || apt("update", "-q") && apt("install", "-y", "-q", "chromium")) {
      return onPath();
    }
    return Optional.empty();
  }

  /** {@code apt-get args}, bounded by 5 minutes; whether it succeeded. */
  private static boolean apt(String... args) throws InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("apt-get"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<Path> onPath() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      for (String name : List.of("chromium", "chromium-browser")) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
