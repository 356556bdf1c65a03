package io.insync.ops;

import io.insync.ops.management.MiniJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a Grafana dashboard (k8s/grafana/insync-dashboard.json) against what a node exports: {@link
 * #metricNames} lists the series its PromQL names, {@link #missing} compares them with a scrape, {@link
 * #problems} catches a dashboard Grafana would import but not draw (no query, no datasource, clashing ids).
 *
 * <p>The PromQL reader is a tokenizer, not a parser: it only has to tell metric names from functions,
 * keywords, label names, strings, numbers, durations and Grafana's template variables.
 */
final class DashboardQueries {
  private DashboardQueries() {}

  /** The dashboard shipped in k8s/, from the ops module (the working dir of its tests). */
  static final Path SHIPPED = Path.of("../k8s/grafana/insync-dashboard.json");

  /**
   * Series the dashboard names that a node exports only once something has happened that the MetricsIT
   * traffic (two logins, six sends with one dedup hit, syncs and acks, on fresh users) does not cause: an
   * Error frame, a journal failure, a group post, a replay of stored events. Kamon creates tagged counters on
   * first increment and writes no samples for an empty histogram, so a live check tolerates these; every
   * other name the dashboard uses must be in the scrape.
   */
  static final Set<String> APPEAR_ON_FIRST_USE = Set.of(
      "insync_errors_total",
      "insync_journal_failures_total",
      "insync_fanout_lag_seconds_bucket");

  // aggregation operators and PromQL keywords: never metric names where the tokenizer meets them
  private static final Set<String> KEYWORDS = Set.of(
      "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
      "group", "limitk", "limit_ratio", "by", "without", "on", "ignoring", "group_left", "group_right",
      "offset", "bool", "and", "or", "unless", "atan2", "inf", "nan");
  // followed by a parenthesised label list, not by an expression
  private static final Set<String> LABEL_LIST = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

  // ------------------------------------------------------------------ dashboard walking

  /** Every metric name the dashboard's queries (panel targets, and label_values variables) reference. */
  static Set<String> metricNames(Path dashboardJson) {
    Map<String, Object> d = asMap(MiniJson.parse(read(dashboardJson)));
    Set<String> names = new TreeSet<>();
    for (Map<String, Object> p : panels(d)) {
      for (Map<String, Object> t : maps(p.get("targets"))) {
        if (t.get("expr") instanceof String e) names.addAll(names(e));
      }
    }
    for (Map<String, Object> v : templating(d)) names.addAll(variableNames(v));
    return names;
  }

  /** What keeps the dashboard from working as shipped; empty when it is fine. */
  static List<String> problems(Path dashboardJson) {
    List<String> out = new ArrayList<>();
    Map<String, Object> d;
    try {
      Object root = MiniJson.parse(read(dashboardJson));
      if (!(root instanceof Map)) return List.of("the dashboard is not a JSON object");
      d = asMap(root);
    } catch (IllegalArgumentException e) {
      return List.of("invalid JSON: " + e.getMessage());
    }
    if (!nonBlank(d.get("title"))) out.add("no dashboard title");
    if (!nonBlank(d.get("uid"))) out.add("no dashboard uid");
    if (!(d.get("schemaVersion") instanceof Number)) out.add("no schemaVersion");
    boolean datasourceVar = templating(d).stream()
        .anyMatch(v -> "datasource".equals(v.get("name")) && "datasource".equals(v.get("type")));
    if (!datasourceVar) out.add("no 'datasource' template variable of type datasource");

    List<Map<String, Object>> panels = panels(d);
    if (panels.stream().noneMatch(p -> !"row".equals(p.get("type")))) out.add("no panels");
    Set<Object> ids = new HashSet<>();
    for (Map<String, Object> p : panels) {
      Object title = p.get("title");
      String what = "panel " + p.get("id") + (nonBlank(title) ? " '" + title + "'" : "");
      if (!(p.get("id") instanceof Number)) out.add(what + ": no numeric id");
      else if (!ids.add(((Number) p.get("id")).longValue())) out.add(what + ": duplicate id");
      if (!nonBlank(title)) out.add(what + ": no title");
      if (!(p.get("gridPos") instanceof Map)) out.add(what + ": no gridPos");
      if ("row".equals(p.get("type"))) continue; // a row only groups: no datasource, no queries
      if (!nonBlank(p.get("type"))) out.add(what + ": no type");
      if (!usesDatasourceVariable(p.get("datasource"))) out.add(what + ": datasource is not ${datasource}");
      List<Map<String, Object>> targets = maps(p.get("targets"));
      if (targets.isEmpty()) out.add(what + ": no targets");
      for (Map<String, Object> t : targets) {
        if (!nonBlank(t.get("expr"))) {
          out.add(what + ": target " + t.get("refId") + " has no expr");
          continue;
        }
        String e = (String) t.get("expr");
        String unbalanced = unbalanced(e);
        if (unbalanced != null) out.add(what + ": " + unbalanced + " in " + e);
        else if (names(e).isEmpty()) out.add(what + ": names no metric: " + e);
        if (t.get("datasource") != null && !usesDatasourceVariable(t.get("datasource"))) {
          out.add(what + ": target " + t.get("refId") + " datasource is not ${datasource}");
        }
      }
    }
    return out;
  }

  /**
   * Referenced names the scrape lacks. {@code scrapedNames} are sample names (as {@link #sampleNames} reads
   * them); a referenced {@code x_bucket}, {@code x_count} or {@code x_sum} is satisfied by any sample of the
   * histogram {@code x}, since Kamon writes the three together. A family name alone (from a {@code # TYPE}
   * line) does not count: Kamon writes TYPE and HELP for a histogram that has no samples yet, and Prometheus
   * then stores no series for the panel to draw.
   */
  static Set<String> missing(Set<String> referenced, Set<String> scrapedNames) {
    Set<String> out = new TreeSet<>();
    for (String r : referenced) {
      if (scrapedNames.contains(r)) continue;
      String family = histogramFamily(r);
      if (family != null && HISTOGRAM_SUFFIXES.stream().anyMatch(x -> scrapedNames.contains(family + x))) continue;
      out.add(r);
    }
    return out;
  }

  /** The names of the samples in a Prometheus text scrape (comment lines skipped). */
  static Set<String> sampleNames(String scrapeBody) {
    Set<String> out = new TreeSet<>();
    for (String line : scrapeBody.split("\n")) {
      Matcher m = SAMPLE_NAME.matcher(line);
      if (!line.startsWith("#") && m.find()) out.add(m.group(1));
    }
    return out;
  }

  private static final Pattern SAMPLE_NAME =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{|\\s)");
  private static final List<String> HISTOGRAM_SUFFIXES = List.of("_bucket", "_count", "_sum");

  private static String histogramFamily(String name) {
    for (String suffix : HISTOGRAM_SUFFIXES) {
      if (name.endsWith(suffix) && name.length() > suffix.length()) {
        return name.substring(0, name.length() - suffix.length());
      }
    }
    return null;
  }

  /** Panels in order, a collapsed row's own panels right after it. */
  private static List<Map<String, Object>> panels(Map<String, Object> dashboard) {
    List<Map<String, Object>> out = new ArrayList<>();
    collect(maps(dashboard.get("panels")), out);
    return out;
  }

  private static void collect(List<Map<String, Object>> panels, List<Map<String, Object>> out) {
    for (Map<String, Object> p : panels) {
      out.add(p);
      collect(maps(p.get("panels")), out);
    }
  }

  private static List<Map<String, Object>> templating(Map<String, Object> dashboard) {
    return dashboard.get("templating") instanceof Map<?, ?> t ? maps(t.get("list")) : List.of();
  }

  /** A query variable's {@code label_values(metric, label)} names a metric; {@code label_values(label)} none. */
  private static Set<String> variableNames(Map<String, Object> variable) {
    if (!"query".equals(variable.get("type"))) return Set.of();
    Object q = variable.get("query");
    String query = q instanceof Map<?, ?> m && m.get("query") instanceof String s ? s : q instanceof String s ? s : null;
    if (query == null) return Set.of();
    query = query.strip();
    if (query.startsWith("label_values(") && query.endsWith(")")) {
      String args = query.substring("label_values(".length(), query.length() - 1);
      int comma = topLevelComma(args);
      return comma < 0 ? Set.of() : names(args.substring(0, comma));
    }
    if (query.startsWith("query_result(") && query.endsWith(")")) {
      return names(query.substring("query_result(".length(), query.length() - 1));
    }
    return Set.of(); // label_names(), metrics(...): no particular series
  }

  private static int topLevelComma(String s) {
    int depth = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(' || c == '{' || c == '[') depth++;
      else if (c == ')' || c == '}' || c == ']') depth--;
      else if (c == '"') i = skipString(s, i) - 1;
      else if (c == ',' && depth == 0) return i;
    }
    return -1;
  }

  private static boolean usesDatasourceVariable(Object ds) {
    if (ds instanceof String s) return s.equals("${datasource}") || s.equals("$datasource");
    if (ds instanceof Map<?, ?> m && m.get("uid") instanceof String uid) {
      return uid.equals("${datasource}") || uid.equals("$datasource");
    }
    return false;
  }

  // ------------------------------------------------------------------ PromQL

  /** The metric names one PromQL expression references. */
  static Set<String> names(String expr) {
    Set<String> out = new LinkedHashSet<>();
    int i = 0;
    int n = expr.length();
    while (i < n) {
      char c = expr.charAt(i);
      if (c == '"' || c == '\'' || c == '`') {
        i = skipString(expr, i);
      } else if (c == '$') {
        i = skipVariable(expr, i);
      } else if (c == '{') {
        // a selector's matchers: label names and strings, except {__name__="x"}
        int end = skipBracket(expr, i, '{', '}');
        String nameMatch = nameMatcher(expr.substring(i + 1, Math.max(i + 1, end - 1)));
        if (nameMatch != null) out.add(nameMatch);
        i = end;
      } else if (c == '[') {
        i = skipBracket(expr, i, '[', ']'); // a range or subquery: durations only
      } else if (c == '#') {
        while (i < n && expr.charAt(i) != '\n') i++; // PromQL comment
      } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1)))) {
        // a number or a duration (0.99, 1e3, 0x1f, 5m after offset)
        while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.'
            || ((expr.charAt(i) == '+' || expr.charAt(i) == '-') && (expr.charAt(i - 1) == 'e' || expr.charAt(i - 1) == 'E')))) {
          i++;
        }
      } else if (Character.isLetter(c) || c == '_' || c == ':') {
        int start = i;
        while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '_' || expr.charAt(i) == ':')) i++;
        String word = expr.substring(start, i);
        int after = skipSpace(expr, i);
        boolean call = after < n && expr.charAt(after) == '(';
        if (LABEL_LIST.contains(word.toLowerCase())) {
          if (call) i = skipBracket(expr, after, '(', ')');
        } else if (KEYWORDS.contains(word.toLowerCase()) || call) {
          // an aggregation or function: its arguments are read on; the name is not a series
        } else {
          out.add(word);
        }
      } else {
        i++;
      }
    }
    return out;
  }

  /** Null when brackets and quotes pair up, else what is wrong. */
  static String unbalanced(String expr) {
    StringBuilder open = new StringBuilder();
    for (int i = 0; i < expr.length(); i++) {
      char c = expr.charAt(i);
      if (c == '"' || c == '\'' || c == '`') {
        int end = stringEnd(expr, i);
        if (end < 0) return "an unclosed string";
        i = end - 1;
      } else if (c == '$' && i + 1 < expr.length() && expr.charAt(i + 1) == '{') {
        int close = expr.indexOf('}', i);
        if (close < 0) return "an unclosed ${";
        i = close;
      } else if (c == '(' || c == '{' || c == '[') {
        open.append(c);
      } else if (c == ')' || c == '}' || c == ']') {
        char want = c == ')' ? '(' : c == '}' ? '{' : '[';
        if (open.length() == 0 || open.charAt(open.length() - 1) != want) return "an unmatched '" + c + "'";
        open.setLength(open.length() - 1);
      }
    }
    return open.length() == 0 ? null : "an unclosed '" + open.charAt(open.length() - 1) + "'";
  }

  private static final Pattern NAME_MATCHER =
      Pattern.compile("(?:^|,)\\s*__name__\\s*=\\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"");

  private static String nameMatcher(String matchers) {
    Matcher m = NAME_MATCHER.matcher(matchers);
    return m.find() ? m.group(1) : null;
  }

  /** The index just past a string starting at {@code i} (backslash escapes, except in raw `...`). */
  private static int skipString(String s, int i) {
    int end = stringEnd(s, i);
    return end < 0 ? s.length() : end;
  }

  /** As {@link #skipString}, but -1 when the string is never closed. */
  private static int stringEnd(String s, int i) {
    char q = s.charAt(i);
    int j = i + 1;
    while (j < s.length()) {
      char c = s.charAt(j);
      if (c == '\\' && q != '`') j += 2;
      else if (c == q) return j + 1;
      else j++;
    }
    return -1;
  }

  /** {@code $node}, {@code ${node}}, {@code ${node:regex}}, {@code $__rate_interval}. */
  private static int skipVariable(String s, int i) {
    int j = i + 1;
    if (j < s.length() && s.charAt(j) == '{') {
      int close = s.indexOf('}', j);
      return close < 0 ? s.length() : close + 1;
    }
    while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) j++;
    return j;
  }

  /** The index just past the bracket closing the one at {@code i}, skipping strings and nested pairs. */
  private static int skipBracket(String s, int i, char open, char close) {
    int depth = 0;
    int j = i;
    while (j < s.length()) {
      char c = s.charAt(j);
      if (c == '"' || c == '\'' || c == '`') {
        j = skipString(s, j);
        continue;
      }
      if (c == open) depth++;
      else if (c == close && --depth == 0) return j + 1;
      j++;
    }
    return s.length();
  }

  private static int skipSpace(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    return i;
  }

  // ------------------------------------------------------------------ JSON helpers

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) {
    if (!(o instanceof Map)) throw new IllegalArgumentException("not a JSON object: " + o);
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> maps(Object o) {
    if (!(o instanceof List<?> l)) return List.of();
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object e : l) if (e instanceof Map) out.add((Map<String, Object>) e);
    return out;
  }

  private static boolean nonBlank(Object o) {
    return o instanceof String s && !s.isBlank();
  }
}
