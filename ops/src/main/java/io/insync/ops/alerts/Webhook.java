package io.insync.ops.alerts;

import io.insync.cluster.alerts.AlertNotifier;
import io.insync.cluster.alerts.AlertNotifier.Notification;
import io.insync.ops.bench.JsonOut;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Notifications as JSON (docs/monitoring.md, "Webhook"), and their POST to the webhook with the JDK's client. */
public final class Webhook implements AlertNotifier.Poster {
  private final URI url;
  private final String cluster;
  private final Duration timeout;
  private final HttpClient client;

  Webhook(String url, String cluster, Duration timeout) {
    this.url = URI.create(url);
    this.cluster = cluster;
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public CompletableFuture<Integer> post(Notification n) {
    HttpRequest r = HttpRequest.newBuilder(url).timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json(n, cluster).toString())).build();
    return client.sendAsync(r, HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode);
  }

  /** The webhook body, also one entry of {@code GET /insync/alerts}. */
  public static JsonOut json(Notification n, String cluster) {
    StringBuilder arr = new StringBuilder("[");
    List<String> ns = n.nodes();
    for (int i = 0; i < ns.size(); i++) {
      if (i > 0) arr.append(',');
      JsonOut.str(arr, ns.get(i));
    }
    arr.append(']');
    return new JsonOut()
        .put("status", n.status())
        .put("rule", n.rule())
        .put("severity", n.severity())
        .put("value", n.value())
        .put("threshold", n.threshold())
        .put("node", n.node())
        .putRaw("nodes", arr.toString())
        .put("summary", n.summary())
        .put("time", Instant.ofEpochMilli(n.time()).toString())
        .put("startsAt", Instant.ofEpochMilli(n.startsAt()).toString())
        .put("cluster", cluster);
  }
}
