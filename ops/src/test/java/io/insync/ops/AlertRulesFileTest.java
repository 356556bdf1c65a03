package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.insync.ops.alerts.AlertRule;
import io.insync.persistence.metrics.InsyncMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * k8s/prometheus/insync-alerts.yaml ships the node's default rules for Prometheus: every rule of {@code
 * insync.alerts.rules} has an alert there (label {@code rule}) whose expression reads the same metric, and
 * no alert there is without its node rule.
 */
class AlertRulesFileTest {
  static final Path FILE = Path.of("../k8s/prometheus/insync-alerts.yaml");

  /** rule label → the alert's expression (the file's own layout: `- alert:`, `expr:` block, `rule:` label). */
  static Map<String, String> alerts() throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(FILE);
    StringBuilder expr = null;
    String current = null;
    for (String line : lines) {
      String t = line.trim();
      if (t.startsWith("- alert:")) {
        current = t.substring("- alert:".length()).trim();
        expr = new StringBuilder();
      } else if (current != null && t.startsWith("expr:")) {
        expr.append(t.substring("expr:".length()).replace("|", "").trim());
      } else if (current != null && t.startsWith("labels:")) {
        current = current + "#";
      } else if (current != null && current.endsWith("#") && t.startsWith("rule:")) {
        out.put(t.substring("rule:".length()).trim(), expr.toString());
      } else if (current != null && !current.endsWith("#") && expr != null && !t.isEmpty() && !t.startsWith("for:")) {
        expr.append(' ').append(t);
      }
    }
    return out;
  }

  @Test
  void everyNodeRuleHasItsPrometheusAlertOnTheSameMetric() throws Exception {
    Map<String, String> alerts = alerts();
    List<AlertRule> rules = AlertRule.all(ConfigFactory.load().getConfig("insync.alerts"));
    assertEquals(new TreeSet<>(rules.stream().map(AlertRule::name).toList()), new TreeSet<>(alerts.keySet()),
        "the same rules in both places");
    for (AlertRule r : rules) {
      String expr = alerts.get(r.name());
      assertNotNull(expr, r.name());
      String base = InsyncMetrics.Names.prometheus(r.metric());
      assertTrue(DashboardQueries.names(expr).stream().anyMatch(n -> n.startsWith(base)),
          r.name() + ": the alert reads " + base + ": " + expr);
      assertTrue(DashboardQueries.unbalanced(expr) == null, r.name() + ": " + DashboardQueries.unbalanced(expr));
    }
  }
}
