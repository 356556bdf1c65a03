package io.insync.ops.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.insync.cluster.alerts.AlertNotifier.Notification;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The webhook body names every field, escapes text, and writes a missing figure as null. */
class WebhookTest {
  @Test
  void jsonNamesEveryFieldAndEscapes() {
    Notification n = new Notification("firing", "error-rate", "warning", 0.125, 0.05, "pekko://insync@h:1",
        List.of("pekko://insync@h:1", "pekko://insync@h:2"), "errors \"high\"\n", 0, 0);
    assertEquals("{\"status\":\"firing\",\"rule\":\"error-rate\",\"severity\":\"warning\",\"value\":0.125,"
        + "\"threshold\":0.050,\"node\":\"pekko://insync@h:1\",\"nodes\":[\"pekko://insync@h:1\",\"pekko://insync@h:2\"],"
        + "\"summary\":\"errors \\\"high\\\"\\n\",\"time\":\"1970-01-01T00:00:00Z\",\"startsAt\":\"1970-01-01T00:00:00Z\","
        + "\"cluster\":\"insync\"}", Webhook.json(n, "insync").toString());
    Notification none = new Notification("resolved", "r", "critical", Double.NaN, 0, "a", List.of(), "s", 0, 0);
    assertEquals(true, Webhook.json(none, "c").toString().contains("\"value\":null,\"threshold\":0.000"));
  }
}
