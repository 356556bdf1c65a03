package io.insync.ops.cli;

import io.insync.ops.management.MiniJson;
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
 * {@code bin/insync admin}: the cluster over a node's management HTTP (docs/operations.md): Pekko Management's
 * {@code /cluster} routes and insync's {@code /insync} ones. Reads need no credentials; leave, down and passivate
 * send the bearer token ({@code --token} or {@code $INSYNC_ADMIN_TOKEN}). A non-2xx answer prints the server's
 * reason on stderr and exits 1.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
    description = "Cluster administration over a node's management HTTP (default http://127.0.0.1:8558).",
    subcommands = {AdminCommand.Members.class, AdminCommand.Leave.class, AdminCommand.Down.class,
        AdminCommand.Shards.class, AdminCommand.User.class, AdminCommand.Connections.class,
        AdminCommand.Passivate.class, AdminCommand.Alerts.class, AdminCommand.Flags.class,
        AdminCommand.Access.class, AdminCommand.Drain.class, AdminCommand.Ban.class, AdminCommand.Unban.class,
        AdminCommand.Revoke.class, AdminCommand.Revocations.class})
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

  /** A write without a body: POST, with the bearer token if there is one. */
  abstract static class PostCall extends Call {
    HttpRequest.Builder post(String path) {
      HttpRequest.Builder b = HttpRequest.newBuilder(target.uri(path))
          .header("Accept", "application/json")
          .POST(HttpRequest.BodyPublishers.noBody());
      String token = target.token();
      if (token != null) b.header("Authorization", "Bearer " + token);
      return b;
    }
  }

  /** {@code /insync/users/ID}: the id as one path segment (the server checks the id itself and says why not). */
  static String userPath(String user) {
    if (user == null || user.isBlank()) throw new IllegalArgumentException("a user id is needed");
    return "/insync/users/" + URLEncoder.encode(user.strip(), StandardCharsets.UTF_8).replace("+", "%20");
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
      description = "How the shards and live entities of the User and Group regions are spread over the nodes, "
          + "with each node's app-version (GET /insync/shards).")
  static final class Shards extends Call {
    @Option(names = "--region", description = "only this region (User or Group; default: both)")
    String region;

    @Override
    HttpRequest.Builder request() {
      if (region == null) return get("/insync/shards");
      if (region.isBlank()) throw new IllegalArgumentException("--region must not be empty");
      return get("/insync/shards?region=" + URLEncoder.encode(region.strip(), StandardCharsets.UTF_8));
    }

    @Override
    void table(Object json, PrintWriter out) {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"NODE", "VERSION", "REGION", "SHARDS", "ENTITIES"});
      List<String> failed = new ArrayList<>();
      Map<?, ?> m = json instanceof Map<?, ?> mm ? mm : Map.of();
      for (Map<?, ?> node : maps(m.get("nodes"))) {
        if (!(node.get("regions") instanceof Map<?, ?> regions)) continue;
        for (Map.Entry<?, ?> r : regions.entrySet()) {
          Map<?, ?> v = r.getValue() instanceof Map<?, ?> vv ? vv : Map.of();
          rows.add(new String[] {str(node.get("node")), str(node.get("version")), str(r.getKey()), str(v.get("shards")),
              str(v.get("entities"))});
          if (v.get("failed") instanceof List<?> f && !f.isEmpty()) {
            failed.add(r.getKey() + " on " + node.get("node") + ": " + String.join(",", f.stream().map(String::valueOf).toList()));
          }
        }
      }
      printTable(rows, out);
      List<String> totals = new ArrayList<>();
      if (m.get("total") instanceof Map<?, ?> t) {
        for (Map.Entry<?, ?> r : t.entrySet()) {
          Map<?, ?> v = r.getValue() instanceof Map<?, ?> vv ? vv : Map.of();
          totals.add(r.getKey() + " " + str(v.get("shards")) + " shards, " + str(v.get("entities")) + " entities");
        }
      }
      out.println("total: " + (totals.isEmpty() ? "-" : String.join("; ", totals)));
      for (String f : failed) out.println("did not answer: " + f);
    }
  }

  @Command(name = "user", mixinStandardHelpOptions = true,
      description = "Where a user's entity runs (node, shard, SET), their inbox head, devices with acked sync keys, "
          + "and the entity's status (GET /insync/users/U). Starts the entity if it was not running.")
  static final class User extends Call {
    @picocli.CommandLine.Parameters(index = "0", paramLabel = "U", description = "the user id")
    String user;

    @Override
    HttpRequest.Builder request() {
      return get(userPath(user));
    }

    @Override
    void table(Object json, PrintWriter out) {
      Map<?, ?> m = json instanceof Map<?, ?> mm ? mm : Map.of();
      Map<?, ?> entity = m.get("entity") instanceof Map<?, ?> e ? e : Map.of();
      out.println("user        " + str(m.get("user")));
      out.println("node        " + str(m.get("node")));
      out.println("shard       " + str(m.get("shard")));
      out.println("set         " + (m.get("set") == null ? "- (SETs are not built yet)" : str(m.get("set"))));
      out.println("inbox head  " + str(m.get("inbox_head")));
      String since = entity.get("started_at") instanceof Number n
          ? java.time.Instant.ofEpochMilli(n.longValue()).toString() : "-";
      out.println("entity      " + str(entity.get("status")) + " since " + since + ", "
          + str(entity.get("pending_deliveries")) + " deliveries pending");
      List<Map<?, ?>> devices = maps(m.get("devices"));
      if (devices.isEmpty()) {
        out.println("devices     none");
        return;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"DEVICE", "PLATFORM", "ACKED", "ONLINE"});
      for (Map<?, ?> d : devices) {
        String platform = d.get("platform") == null || "".equals(d.get("platform")) ? "-" : str(d.get("platform"));
        rows.add(new String[] {str(d.get("device")), platform, str(d.get("acked_key")),
            Boolean.TRUE.equals(d.get("online")) ? "yes" : "no"});
      }
      printTable(rows, out);
    }
  }

  @Command(name = "connections", mixinStandardHelpOptions = true,
      description = "Client connections (TCP and WebSocket) held by each node's gateway, asked of every node "
          + "(GET /insync/connections).")
  static final class Connections extends Call {
    @Override
    HttpRequest.Builder request() {
      return get("/insync/connections");
    }

    @Override
    void table(Object json, PrintWriter out) {
      Map<?, ?> m = json instanceof Map<?, ?> mm ? mm : Map.of();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"NODE", "CONNECTIONS"});
      for (Map<?, ?> n : maps(m.get("nodes"))) {
        rows.add(new String[] {str(n.get("node")),
            n.get("connections") == null ? "? (" + str(n.get("error")) + ")" : str(n.get("connections"))});
      }
      printTable(rows, out);
      out.println("total: " + str(m.get("total")));
    }
  }

  @Command(name = "passivate", mixinStandardHelpOptions = true,
      description = "Stop a user's entity (its state is in the journal; the next message starts it again) "
          + "(POST /insync/users/U/passivate; needs the token).")
  static final class Passivate extends PostCall {
    @picocli.CommandLine.Parameters(index = "0", paramLabel = "U", description = "the user id")
    String user;

    @Override
    HttpRequest.Builder request() {
      return post(userPath(user) + "/passivate");
    }

    @Override
    void table(Object json, PrintWriter out) {
      out.println(json instanceof Map<?, ?> m && m.get("message") != null ? m.get("message") : json);
    }
  }

  @Command(name = "alerts", mixinStandardHelpOptions = true,
      description = "Alerts firing in the cluster, the recent notifications, and this node's own evaluation of "
          + "each rule (GET /insync/alerts; docs/monitoring.md).")
  static final class Alerts extends Call {
    @Override
    HttpRequest.Builder request() {
      return get("/insync/alerts");
    }

    @Override
    void table(Object json, PrintWriter out) {
      Map<?, ?> m = json instanceof Map<?, ?> mm ? mm : Map.of();
      if (m.get("notifier_error") != null) out.println("cluster view unavailable: " + str(m.get("notifier_error")));
      List<Map<?, ?>> firing = maps(m.get("firing"));
      if (m.get("firing") != null) {
        if (firing.isEmpty()) {
          out.println("firing: none");
        } else {
          out.println("firing:");
          List<String[]> rows = new ArrayList<>();
          rows.add(new String[] {"RULE", "SEVERITY", "VALUE", "THRESHOLD", "SINCE", "NODES"});
          for (Map<?, ?> f : firing) {
            rows.add(new String[] {str(f.get("rule")), str(f.get("severity")), str(f.get("value")),
                str(f.get("threshold")), str(f.get("startsAt")), String.join(" ", strings(f.get("nodes")))});
          }
          printTable(rows, out);
        }
        List<Map<?, ?>> recent = maps(m.get("recent"));
        out.println("recent notifications: " + (recent.isEmpty() ? "none" : ""));
        if (!recent.isEmpty()) {
          List<String[]> rows = new ArrayList<>();
          rows.add(new String[] {"TIME", "STATUS", "RULE", "VALUE", "NODE"});
          for (Map<?, ?> r : recent) {
            rows.add(new String[] {str(r.get("time")), str(r.get("status")), str(r.get("rule")), str(r.get("value")),
                str(r.get("node"))});
          }
          printTable(rows, out);
        }
      }
      Map<?, ?> self = m.get("this_node") instanceof Map<?, ?> sm ? sm : Map.of();
      if (!Boolean.TRUE.equals(self.get("evaluating"))) {
        out.println("this node evaluates no rules (metrics or alerts are off here)");
        return;
      }
      out.println("this node's rules:");
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"RULE", "SEVERITY", "STATE", "VALUE", "THRESHOLD"});
      for (Map<?, ?> r : maps(self.get("rules"))) {
        rows.add(new String[] {str(r.get("rule")), str(r.get("severity")),
            Boolean.TRUE.equals(r.get("firing")) ? "FIRING" : "ok", str(r.get("value")), str(r.get("threshold"))});
      }
      printTable(rows, out);
    }

    private static List<String> strings(Object list) {
      List<String> out = new ArrayList<>();
      if (list instanceof List<?> l) for (Object o : l) out.add(String.valueOf(o));
      return out;
    }
  }

  @Command(name = "flag", mixinStandardHelpOptions = true,
      description = "Feature flags: set a flag's step and audience, list the flags with their audit trails "
          + "(docs/operations.md, \"Feature flags\").",
      subcommands = {FlagSet.class, FlagList.class})
  static final class Flags implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }
  }

  static String flagPath(String name) {
    if (name == null || name.isBlank()) throw new IllegalArgumentException("a flag name is needed");
    return "/insync/flags/" + URLEncoder.encode(name.strip(), StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = "Change a flag (created off if new): its percentage of users, allow/deny lists, SETs, guarding "
          + "rules. Options not given keep their value; a list option replaces the list (\"\" empties it). Every "
          + "change is audited (PUT /insync/flags/NAME; needs the token).")
  static final class FlagSet extends Call {
    @picocli.CommandLine.Parameters(index = "0", paramLabel = "NAME", description = "the flag, e.g. sync-page")
    String name;

    @Option(names = "--percent", paramLabel = "P",
        description = "the share of users (by a stable hash of the user id): the steps are 1, 10, 50, 100; "
            + "any 0-100 with up to two decimals; 0 turns it off but for the allow list")
    String percent;

    @Option(names = "--allow", paramLabel = "U,V", description = "users always in the audience (unless denied)")
    String allow;

    @Option(names = "--deny", paramLabel = "U,V", description = "users never in the audience")
    String deny;

    @Option(names = "--sets", paramLabel = "S,T",
        description = "SETs whose users are in the audience (SETs are not built yet: matches nobody today)")
    String sets;

    @Option(names = "--guard", paramLabel = "RULE,RULE",
        description = "segment alert rules that roll the flag back to its previous step when they fire for its "
            + "audience (e.g. flag-errors)")
    String guard;

    @Option(names = "--who", paramLabel = "NAME",
        description = "who the audit trail names (default: $USER; else the server says management-token)")
    String who;

    @Override
    HttpRequest.Builder request() {
      StringBuilder form = new StringBuilder();
      field(form, "percent", percent);
      field(form, "allow", allow);
      field(form, "deny", deny);
      field(form, "sets", sets);
      field(form, "guard", guard);
      if (form.length() == 0) throw new IllegalArgumentException("nothing to change: give --percent, --allow, --deny, --sets or --guard");
      HttpRequest.Builder b = putForm(flagPath(name), form.toString());
      String w = who != null && !who.isBlank() ? who : System.getenv("USER");
      if (w != null && !w.isBlank()) b.header("X-Insync-Who", w.strip());
      return b;
    }

    private static void field(StringBuilder form, String key, String value) {
      if (value == null) return;
      if (form.length() > 0) form.append('&');
      form.append(key).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    @Override
    void table(Object json, PrintWriter out) {
      Map<?, ?> m = json instanceof Map<?, ?> mm ? mm : Map.of();
      FlagList.print(List.of(m), out);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Every flag with its step, audience, guards and audit trail, newest change first, as the asked "
          + "node's copy has it (GET /insync/flags, or /insync/flags/NAME).")
  static final class FlagList extends Call {
    @picocli.CommandLine.Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "only this flag")
    String name;

    @Override
    HttpRequest.Builder request() {
      return get(name == null ? "/insync/flags" : flagPath(name));
    }

    @Override
    void table(Object json, PrintWriter out) {
      Map<?, ?> m = json instanceof Map<?, ?> mm ? mm : Map.of();
      List<Map<?, ?>> flags = m.containsKey("flags") ? maps(m.get("flags")) : List.of(m);
      if (flags.isEmpty()) {
        out.println("no flags set (every flag is off)");
        return;
      }
      print(flags, out);
    }

    static void print(List<Map<?, ?>> flags, PrintWriter out) {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"FLAG", "STEP", "ALLOW", "DENY", "SETS", "GUARDS"});
      for (Map<?, ?> f : flags) {
        rows.add(new String[] {str(f.get("name")), str(f.get("step")), csv(f.get("allow")), csv(f.get("deny")),
            csv(f.get("sets")), csv(f.get("guards"))});
      }
      printTable(rows, out);
      for (Map<?, ?> f : flags) {
        List<Map<?, ?>> audit = maps(f.get("audit"));
        out.println("audit of " + str(f.get("name")) + " (newest first):" + (audit.isEmpty() ? " none" : ""));
        if (audit.isEmpty()) continue;
        List<String[]> a = new ArrayList<>();
        a.add(new String[] {"TIME", "WHO", "FROM", "TO"});
        for (Map<?, ?> c : audit) {
          String at = c.get("at") instanceof Number n ? java.time.Instant.ofEpochMilli(n.longValue()).toString() : "-";
          a.add(new String[] {at, str(c.get("who")), str(c.get("from")), str(c.get("to"))});
        }
        printTable(a, out);
      }
    }

    private static String csv(Object list) {
      if (!(list instanceof List<?> l) || l.isEmpty()) return "-";
      return String.join(",", l.stream().map(String::valueOf).toList());
    }
  }

  @Command(name = "access", mixinStandardHelpOptions = true,
      description = "The gateways a client is sent to, in order: its IDC first, then the least loaded; draining "
          + "nodes left out (GET /insync/access, what the SDK's access URL asks).")
  static final class Access extends Call {
    @Option(names = "--user", paramLabel = "U", description = "the client's user id (checked; SETs do not change the answer yet)")
    String user;

    @Option(names = "--idc", paramLabel = "DC", description = "the client's IDC (default: the asked node's)")
    String idc;

    @Override
    HttpRequest.Builder request() {
      StringBuilder q = new StringBuilder();
      if (user != null) q.append("user=").append(URLEncoder.encode(user.strip(), StandardCharsets.UTF_8));
      if (idc != null) q.append(q.length() > 0 ? "&" : "").append("idc=").append(URLEncoder.encode(idc.strip(), StandardCharsets.UTF_8));
      return get("/insync/access" + (q.length() > 0 ? "?" + q : ""));
    }

    @Override
    void table(Object json, PrintWriter out) {
      Map<?, ?> m = json instanceof Map<?, ?> mm ? mm : Map.of();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"#", "NODE", "TCP", "WEBSOCKET", "IDC", "CONNECTIONS"});
      int i = 1;
      for (Map<?, ?> g : maps(m.get("gateways"))) {
        rows.add(new String[] {Integer.toString(i++), str(g.get("node")), str(g.get("tcp")), str(g.get("websocket")),
            str(g.get("idc")), str(g.get("connections"))});
      }
      printTable(rows, out);
      List<?> draining = m.get("draining") instanceof List<?> l ? l : List.of();
      out.println("idc: " + str(m.get("idc")) + "   draining: "
          + (draining.isEmpty() ? "none" : String.join(", ", draining.stream().map(String::valueOf).toList())));
    }
  }

  @Command(name = "drain", mixinStandardHelpOptions = true,
      description = "Move a node's clients away before it stops: it sends each a Redirect, spread over --over, and "
          + "the access routing leaves it out; --cancel undoes it (POST or DELETE /insync/nodes/N/drain; needs "
          + "the token). Watch `admin connections` fall to 0, then stop the node.")
  static final class Drain extends Call {
    @Option(names = "--node", required = true, paramLabel = "N",
        description = "the member: its address (pekko://insync@127.0.0.1:25520) or host:port (127.0.0.1:25520)")
    String node;

    @Option(names = "--over", paramLabel = "D",
        description = "spread the Redirects over this long, e.g. 30s, 2m (default: the node's "
            + "insync.gateway.access.drain-spread, 30s)")
    String over;

    @Option(names = "--cancel", description = "undo the drain: the node serves new clients again")
    boolean cancel;

    @Override
    HttpRequest.Builder request() {
      if (node == null || node.isBlank()) throw new IllegalArgumentException("--node needs a member address");
      if (cancel && over != null) throw new IllegalArgumentException("--over and --cancel do not go together");
      URI uri = target.uri("/insync/nodes/" + URLEncoder.encode(node.strip(), StandardCharsets.UTF_8).replace("+", "%20")
          + "/drain");
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Accept", "application/json");
      if (cancel) {
        b.DELETE();
      } else {
        String form = over == null ? "" : "over=" + URLEncoder.encode(over.strip(), StandardCharsets.UTF_8);
        b.header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8));
      }
      String token = target.token();
      if (token != null) b.header("Authorization", "Bearer " + token);
      return b;
    }

    @Override
    void table(Object json, PrintWriter out) {
      out.println(json instanceof Map<?, ?> m && m.get("message") != null ? m.get("message") : json);
    }
  }

  /** A write of a form on a user ({@code /insync/users/U/...}), with the bearer token and the audit name. */
  abstract static class UserWrite extends Call {
    @picocli.CommandLine.Parameters(index = "0", paramLabel = "U", description = "the user id")
    String user;

    @Option(names = "--reason", paramLabel = "TEXT", description = "why (kept with the entry, at most 200 characters)")
    String reason;

    @Option(names = "--who", paramLabel = "NAME", description = "who the entry names (default: $USER)")
    String who;

    /** {@code key=value} URL-encoded, or "" when there is no value. */
    static String formField(String key, String value) {
      return value == null ? "" : key + "=" + URLEncoder.encode(value.strip(), StandardCharsets.UTF_8);
    }

    HttpRequest.Builder write(String method, String path, String form) {
      StringBuilder f = new StringBuilder(form);
      if (reason != null) f.append(f.length() > 0 ? "&" : "").append("reason=").append(URLEncoder.encode(reason, StandardCharsets.UTF_8));
      HttpRequest.Builder b = HttpRequest.newBuilder(target.uri(userPath(user) + path)).header("Accept", "application/json")
          .header("Content-Type", "application/x-www-form-urlencoded")
          .method(method, HttpRequest.BodyPublishers.ofString(f.toString(), StandardCharsets.UTF_8));
      String w = who != null && !who.isBlank() ? who : System.getenv("USER");
      if (w != null && !w.isBlank()) b.header("X-Insync-Who", w.strip());
      String token = target.token();
      if (token != null) b.header("Authorization", "Bearer " + token);
      return b;
    }

    @Override
    void table(Object json, PrintWriter out) {
      out.println(json instanceof Map<?, ?> m && m.get("message") != null ? m.get("message") : json);
    }
  }

  @Command(name = "ban", mixinStandardHelpOptions = true,
      description = "Ban a user: every session of theirs is closed on every node within seconds and every token "
          + "refused until the ban ends or is lifted (POST /insync/users/U/ban; needs the token).")
  static final class Ban extends UserWrite {
    @Option(names = "--for", paramLabel = "D", description = "for this long, e.g. 30m, 12h, 7d (default: until `admin unban`)")
    String duration;

    @Override
    HttpRequest.Builder request() {
      return write("POST", "/ban", formField("for", duration));
    }
  }

  @Command(name = "unban", mixinStandardHelpOptions = true,
      description = "Lift a user's ban (DELETE /insync/users/U/ban; needs the token).")
  static final class Unban extends UserWrite {
    @Override
    HttpRequest.Builder request() {
      return write("DELETE", "/ban", "");
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke a user's tokens (or one device's) issued until now: their sessions are closed on every "
          + "node within seconds; tokens issued later work (POST /insync/users/U/revoke; needs the token).")
  static final class Revoke extends UserWrite {
    @Option(names = "--device", paramLabel = "D", description = "only this device's tokens (default: every device's)")
    String device;

    @Override
    HttpRequest.Builder request() {
      return write("POST", "/revoke", formField("device", device));
    }
  }

  @Command(name = "revocations", mixinStandardHelpOptions = true,
      description = "The bans and token revocations in force, as the asked node's copy has them (GET /insync/revocations).")
  static final class Revocations extends Call {
    @Override
    HttpRequest.Builder request() {
      return get("/insync/revocations");
    }

    @Override
    void table(Object json, PrintWriter out) {
      Map<?, ?> m = json instanceof Map<?, ?> mm ? mm : Map.of();
      List<Map<?, ?>> all = maps(m.get("revocations"));
      if (all.isEmpty()) {
        out.println("no bans or revocations");
        return;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"KIND", "USER", "DEVICE", "SINCE", "UNTIL / ISSUED BEFORE", "WHO", "REASON"});
      for (Map<?, ?> r : all) {
        Object end = r.containsKey("until") ? r.get("until") : r.get("issued_before");
        rows.add(new String[] {str(r.get("kind")), str(r.get("user")), str(r.get("device")), time(r.get("at")),
            end == null ? "lifted by unban" : time(end), str(r.get("who")), str(r.get("reason")).isEmpty() ? "-" : str(r.get("reason"))});
      }
      printTable(rows, out);
    }

    private static String time(Object ms) {
      return ms instanceof Number n ? java.time.Instant.ofEpochMilli(n.longValue()).toString() : "-";
    }
  }

  /** The objects of a JSON array (anything else in it, or no array, is skipped). */
  static List<Map<?, ?>> maps(Object list) {
    List<Map<?, ?>> out = new ArrayList<>();
    if (list instanceof List<?> l) {
      for (Object o : l) if (o instanceof Map<?, ?> m) out.add(m);
    }
    return out;
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
