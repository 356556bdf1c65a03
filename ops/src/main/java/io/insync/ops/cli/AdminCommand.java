package io.insync.ops.cli;

import io.insync.ops.management.MiniJson;
import io.insync.persistence.user.UserEntity;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/insync admin}: the cluster over a node's management HTTP (docs/operations.md). Reads need no
 * credentials; leave and down send the bearer token ({@code --token} or {@code $INSYNC_ADMIN_TOKEN}). A non-2xx
 * answer prints the server's reason on stderr and exits 1.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
    description = "Cluster administration over a node's management HTTP (default http://127.0.0.1:8558).",
    subcommands = {AdminCommand.Members.class, AdminCommand.Leave.class, AdminCommand.Down.class,
        AdminCommand.Shards.class})
final class AdminCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every admin command takes. */
  static final class Target {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8558",
        description = "the node's management HTTP (default ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--token", description = "bearer token for writes (default: $INSYNC_ADMIN_TOKEN)")
    String token;

    @Option(names = "--json", description = "print the server's JSON answer as it is")
    boolean json;

    @Option(names = "--timeout", defaultValue = "30s", converter = DurationConverter.class,
        description = "how long to wait for the answer (default ${DEFAULT-VALUE})")
    Duration timeout;

    String token() {
      if (token != null && !token.isBlank()) return token;
      String env = System.getenv("INSYNC_ADMIN_TOKEN");
      return env == null || env.isBlank() ? null : env;
    }

    URI uri(String path) {
      String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
      if (!base.startsWith("http://") && !base.startsWith("https://")) {
        throw new IllegalArgumentException("--url must start with http:// or https:// (was " + url + ")");
      }
      try {
        return URI.create(base + path);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bad --url " + url + ": " + e.getMessage());
      }
    }
  }

  /** One HTTP exchange: prints the answer (raw or as {@code table}) and returns the exit code. */
  abstract static class Call implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin Target target;

    abstract HttpRequest.Builder request();

    /** A readable rendering of a 2xx answer's JSON. */
    abstract void table(Object json, PrintWriter out);

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String name = "insync admin " + spec.name();
      HttpRequest.Builder b = request().timeout(target.timeout);
      HttpResponse<String> response;
      URI uri = null;
      try {
        HttpRequest req = b.build();
        uri = req.uri();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        response = client.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        String why = e instanceof java.net.ConnectException
            ? "connection refused (no management HTTP there? see --url)"
            : e instanceof java.net.http.HttpTimeoutException ? "no answer within " + target.timeout.toSeconds() + " s"
            : InsyncCli.rootMessage(e);
        err.println(name + ": cannot reach " + (uri != null ? uri : target.url) + ": " + why);
        err.flush();
        return 1;
      }
      String body = response.body();
      if (response.statusCode() / 100 != 2) {
        err.println(name + ": HTTP " + response.statusCode() + ": " + reason(body));
        err.flush();
        return 1;
      }
      if (target.json) {
        out.println(body.strip());
      } else {
        Object json;
        try {
          json = MiniJson.parse(body);
        } catch (IllegalArgumentException e) {
          json = null;
        }
        if (json == null) out.println(body.strip());
        else table(json, out);
      }
      out.flush();
      return 0;
    }

    HttpRequest.Builder get(String path) {
      return HttpRequest.newBuilder(target.uri(path)).GET().header("Accept", "application/json");
    }

    /** A write: PUT of a form, with the bearer token if there is one (the server says why, if not). */
    HttpRequest.Builder putForm(String path, String form) {
      HttpRequest.Builder b = HttpRequest.newBuilder(target.uri(path))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .header("Accept", "application/json")
          .PUT(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8));
      String token = target.token();
      if (token != null) b.header("Authorization", "Bearer " + token);
      return b;
    }
  }

  /** The server's reason in a refusal: its JSON "message", else its text, else nothing. */
  static String reason(String body) {
    if (body == null || body.isBlank()) return "(no reason given)";
    try {
      if (MiniJson.parse(body) instanceof Map<?, ?> m && m.get("message") instanceof String s) return s;
    } catch (IllegalArgumentException e) {
      // not JSON: the text is the reason
    }
    return body.strip();
  }

  static String member(String address) {
    if (address == null || address.isBlank()) throw new IllegalArgumentException("--node needs a member address");
    return "/cluster/members/" + URLEncoder.encode(address.strip(), StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String str(Object o) {
    return o == null ? "-" : String.valueOf(o);
  }

  @Command(name = "members", mixinStandardHelpOptions = true,
      description = "The cluster's members as this node sees them (GET /cluster/members).")
  static final class Members extends Call {
    @Override
    HttpRequest.Builder request() {
      return get("/cluster/members");
    }

    @Override
    void table(Object json, PrintWriter out) {
      if (!(json instanceof Map<?, ?> m)) {
        out.println(json);
        return;
      }
      List<Map<?, ?>> members = new ArrayList<>();
      if (m.get("members") instanceof List<?> l) {
        for (Object o : l) if (o instanceof Map<?, ?> mm) members.add(mm);
      }
      members.sort(Comparator.comparing(x -> str(x.get("node"))));
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"NODE", "STATUS", "ROLES", "UID"});
      for (Map<?, ?> x : members) {
        String roles = x.get("roles") instanceof List<?> r ? String.join(",", r.stream().map(v -> String.valueOf(v)).sorted().toList()) : "-";
        rows.add(new String[] {str(x.get("node")), str(x.get("status")), roles, str(x.get("nodeUid"))});
      }
      printTable(rows, out);
      out.println("self: " + str(m.get("selfNode")) + "   leader: " + str(m.get("leader")) + "   oldest: " + str(m.get("oldest")));
      if (m.get("unreachable") instanceof List<?> u && !u.isEmpty()) {
        for (Object o : u) {
          if (o instanceof Map<?, ?> x) {
            out.println("unreachable: " + str(x.get("node")) + " (observed by "
                + (x.get("observedBy") instanceof List<?> by ? String.join(", ", by.stream().map(v -> String.valueOf(v)).toList()) : "-")
                + ")");
          }
        }
      } else {
        out.println("unreachable: none");
      }
    }
  }

  /** A write on one member ({@code PUT /cluster/members/ADDR operation=...}): leave and down. */
  abstract static class MemberOperation extends Call {
    @Option(names = "--node", required = true, paramLabel = "ADDR",
        description = "the member, e.g. pekko://insync@127.0.0.1:25520 (as `admin members` lists it)")
    String node;

    /** Pekko Management's operation name: Leave or Down. */
    abstract String operation();

    @Override
    HttpRequest.Builder request() {
      return putForm(member(node), "operation=" + operation());
    }

    @Override
    void table(Object json, PrintWriter out) {
      out.println(json instanceof Map<?, ?> m && m.get("message") != null ? m.get("message") : json);
    }
  }

  @Command(name = "leave", mixinStandardHelpOptions = true,
      description = "Ask a member to leave the cluster gracefully: its shards move, then it stops "
          + "(PUT /cluster/members/ADDR operation=Leave; needs the token).")
  static final class Leave extends MemberOperation {
    @Override
    String operation() {
      return "Leave";
    }
  }

  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Mark a member as down (it is removed without a handover; only for a member that is gone "
          + "and that the split brain resolver has not downed) (PUT /cluster/members/ADDR operation=Down; needs the token).")
  static final class Down extends MemberOperation {
    @Override
    String operation() {
      return "Down";
    }
  }

  @Command(name = "shards", mixinStandardHelpOptions = true,
      description = "The shards this node hosts and their live entities (GET /cluster/shards/REGION).")
  static final class Shards extends Call {
    @Option(names = "--region", description = "shard region (entity type) name (default: ${DEFAULT-VALUE}, the users)")
    String region = UserEntity.ENTITY_KEY.name();

    @Override
    HttpRequest.Builder request() {
      if (region == null || region.isBlank()) throw new IllegalArgumentException("--region must not be empty");
      return get("/cluster/shards/" + URLEncoder.encode(region.strip(), StandardCharsets.UTF_8).replace("+", "%20"));
    }

    @Override
    void table(Object json, PrintWriter out) {
      List<Map<?, ?>> regions = new ArrayList<>();
      if (json instanceof Map<?, ?> m && m.get("regions") instanceof List<?> l) {
        for (Object o : l) if (o instanceof Map<?, ?> mm) regions.add(mm);
      }
      regions.sort(Comparator.comparing((Map<?, ?> x) -> str(x.get("shardId")).length())
          .thenComparing(x -> str(x.get("shardId"))));
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"SHARD", "ENTITIES"});
      long total = 0;
      for (Map<?, ?> x : regions) {
        rows.add(new String[] {str(x.get("shardId")), str(x.get("numEntities"))});
        if (x.get("numEntities") instanceof Number n) total += n.longValue();
      }
      printTable(rows, out);
      out.println(regions.size() + " shards of region " + region + " on this node, " + total + " entities");
    }
  }

  static void printTable(List<String[]> rows, PrintWriter out) {
    int cols = rows.get(0).length;
    int[] w = new int[cols];
    for (String[] r : rows) for (int c = 0; c < cols; c++) w[c] = Math.max(w[c], r[c].length());
    for (String[] r : rows) {
      StringBuilder b = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        b.append(r[c]);
        if (c < cols - 1) b.append(" ".repeat(w[c] - r[c].length() + 2));
      }
      out.println(b.toString().stripTrailing());
    }
  }
}
