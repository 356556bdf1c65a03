package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DashboardQueriesTest {
  @TempDir Path dir;

  @Test
  void theShippedDashboardHasNoProblems() {
    assertTrue(Files.isRegularFile(DashboardQueries.SHIPPED), DashboardQueries.SHIPPED.toAbsolutePath().toString());
    assertEquals(List.of(), DashboardQueries.problems(DashboardQueries.SHIPPED));
  }

  @Test
  void theShippedDashboardShowsTheCoreInsyncSeries() {
    Set<String> names = DashboardQueries.metricNames(DashboardQueries.SHIPPED);
    for (String n : List.of("insync_sends_total", "insync_errors_total", "insync_send_latency_seconds_bucket",
        "insync_journal_failures_total", "insync_pending_deliveries", "insync_connections", "insync_auth_total",
        "insync_journal_write_latency_seconds_bucket", "pekko_group_pending_messages_sum", "jvm_memory_used_bytes_sum")) {
      assertTrue(names.contains(n), n + " in " + names);
    }
    // nothing that is a label, function or variable slipped in as a name
    for (String n : names) assertTrue(n.matches("(insync|pekko|executor|jvm|process)_[a-z0-9_]+"), n);
  }

  @Test
  void everyAllowedLateSeriesIsOnTheDashboard() {
    // the allow-list must not excuse names the dashboard no longer uses (stale entries hide nothing, but mislead)
    Set<String> names = DashboardQueries.metricNames(DashboardQueries.SHIPPED);
    for (String n : DashboardQueries.APPEAR_ON_FIRST_USE) assertTrue(names.contains(n), n);
  }

  @Test
  void readsMetricNamesOutOfTrickyPromql() {
    assertEquals(Set.of("insync_send_latency_seconds_bucket"), DashboardQueries.names(
        "histogram_quantile(0.99, sum by (le) (rate(insync_send_latency_seconds_bucket{instance=~\"$node\"}[$__rate_interval])))"));
    assertEquals(Set.of("insync_sends_total"), DashboardQueries.names(
        "sum without (instance, job) (rate(insync_sends_total{result!=\"ok\", instance=~\"${node:regex}\"}[5m] offset 1h))"));
    assertEquals(Set.of("a_total", "b_total"), DashboardQueries.names(
        "sum(rate(a_total[5m])) by (code) / on (code) group_left(instance) sum(rate(b_total[5m])) by (code) > bool 0.5"));
    assertEquals(Set.of("jvm_memory_used_bytes"), DashboardQueries.names(
        "label_replace(max_over_time(jvm_memory_used_bytes{region=\"heap\"}[1h:1m]), \"dst\", \"$1\", \"src\", \"(by|rate).*\")"));
    assertEquals(Set.of("up"), DashboardQueries.names("count(up == 1) or vector(0) * 1e3"));
    assertEquals(Set.of("x_seconds_count"), DashboardQueries.names("{__name__=\"x_seconds_count\", job=\"insync\"}"));
    assertEquals(Set.of(), DashboardQueries.names("vector(1) + time()"));
  }

  @Test
  void findsUnbalancedExpressions() {
    assertEquals(null, DashboardQueries.unbalanced("sum(rate(x{a=\")\"}[5m]))"));
    assertEquals("an unclosed '('", DashboardQueries.unbalanced("sum(rate(x[5m])"));
    assertEquals("an unmatched ']'", DashboardQueries.unbalanced("rate(x 5m])"));
    assertEquals("an unclosed string", DashboardQueries.unbalanced("x{a=\"b}"));
  }

  @Test
  void missingAcceptsAnySampleOfTheSameHistogram() {
    Set<String> ref = Set.of("a_seconds_bucket", "b_seconds_count", "c_total", "d");
    assertEquals(Set.of("c_total", "d"), DashboardQueries.missing(ref, Set.of("a_seconds_bucket", "b_seconds_sum")));
    assertEquals(Set.of(), DashboardQueries.missing(ref, Set.of("a_seconds_count", "b_seconds_count", "c_total", "d")));
    // a family name (a TYPE line with no samples) is no series to draw
    assertEquals(Set.of("x_seconds_bucket"), DashboardQueries.missing(Set.of("x_seconds_bucket"), Set.of("x_seconds")));
    // only histogram suffixes share a family: e_total does not stand in for e_sum
    assertEquals(Set.of("e_sum"), DashboardQueries.missing(Set.of("e_sum"), Set.of("e_total")));
  }

  @Test
  void sampleNamesSkipTypeLinesOfEmptyHistograms() {
    String scrape = """
        # TYPE insync_sends_total counter
        insync_sends_total{result="ok"} 6.0
        # HELP insync_fanout_lag_seconds group entity: ...
        # TYPE insync_fanout_lag_seconds histogram
        insync_dedup_hits_total 1.0
        insync_send_latency_seconds_bucket{le="0.005"} 1.0
        """;
    Set<String> names = DashboardQueries.sampleNames(scrape);
    assertEquals(Set.of("insync_sends_total", "insync_dedup_hits_total", "insync_send_latency_seconds_bucket"), names);
    assertEquals(Set.of("insync_fanout_lag_seconds_bucket"),
        DashboardQueries.missing(Set.of("insync_fanout_lag_seconds_bucket", "insync_send_latency_seconds_count"), names));
  }

  @Test
  void reportsInvalidJson() throws IOException {
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"title\": \"x\", \"panels\": [");
    List<String> p = DashboardQueries.problems(bad);
    assertEquals(1, p.size(), p.toString());
    assertTrue(p.get(0).startsWith("invalid JSON"), p.toString());
  }

  @Test
  void reportsPanelsThatCannotDraw() throws IOException {
    Path d = dir.resolve("d.json");
    Files.writeString(d, """
        {"title": "t", "uid": "u", "schemaVersion": 39,
         "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
         "panels": [
           {"id": 1, "type": "row", "title": "r", "gridPos": {}, "collapsed": true, "panels": [
             {"id": 2, "type": "timeseries", "title": "no expr", "gridPos": {},
              "datasource": {"type": "prometheus", "uid": "${datasource}"},
              "targets": [{"refId": "A", "expr": ""}]},
             {"id": 2, "type": "timeseries", "title": "fixed uid", "gridPos": {},
              "datasource": {"type": "prometheus", "uid": "abc123"},
              "targets": [{"refId": "A", "expr": "rate(x_total[5m]"}]}
           ]},
           {"id": 3, "type": "stat", "gridPos": {}, "datasource": {"uid": "${datasource}"}, "targets": []}
         ]}
        """);
    List<String> p = DashboardQueries.problems(d);
    assertEquals(List.of(
        "panel 2 'no expr': target A has no expr",
        "panel 2 'fixed uid': duplicate id",
        "panel 2 'fixed uid': datasource is not ${datasource}",
        "panel 2 'fixed uid': an unclosed '(' in rate(x_total[5m]",
        "panel 3: no title",
        "panel 3: no targets"), p);
  }

  @Test
  void reportsADashboardWithoutTitleUidOrDatasourceVariable() throws IOException {
    Path d = dir.resolve("e.json");
    Files.writeString(d, "{\"panels\": []}");
    assertEquals(List.of("no dashboard title", "no dashboard uid", "no schemaVersion",
        "no 'datasource' template variable of type datasource", "no panels"), DashboardQueries.problems(d));
  }

  @Test
  void readsNestedPanelsAndVariableQueries() throws IOException {
    Path d = dir.resolve("n.json");
    Files.writeString(d, """
        {"templating": {"list": [
           {"name": "node", "type": "query", "query": {"query": "label_values(insync_connections, instance)"}},
           {"name": "job", "type": "query", "query": "label_values(job)"}]},
         "panels": [{"type": "row", "panels": [{"targets": [{"expr": "insync_pending_deliveries"}]}]},
                    {"targets": [{"expr": "rate(insync_acks_total[1m])"}, {"expr": "rate(insync_syncs_total[1m])"}]}]}
        """);
    assertEquals(Set.of("insync_connections", "insync_pending_deliveries", "insync_acks_total", "insync_syncs_total"),
        DashboardQueries.metricNames(d));
  }
}
