package io.insync.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asks a node's access endpoint ({@code GET /insync/access}, docs/operations.md "Access routing and drain")
 * which gateways to use, in order: the client's IDC first, the least loaded first, draining nodes left out.
 * The answer's {@code gateways[].tcp} addresses, in the order given; a failure or an empty answer is the
 * caller's cue to use its own addresses.
 */
final class AccessLookup {
  private static final Pattern TCP = Pattern.compile("\"tcp\"\\s*:\\s*\"([^\"\\\\]*)\"");

  private final URI uri;
  private final Duration timeout;
  private final HttpClient http;

  AccessLookup(URI uri, Duration timeout) {
    this.uri = uri;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
  }

  URI uri() {
    return uri;
  }

  /** The gateways' {@code host:port}, best first; fails on a refused connection, a timeout or a non-200. */
  CompletableFuture<List<String>> fetch() {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET().build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).thenApply(r -> {
      if (r.statusCode() != 200) {
        throw new IllegalStateException("access endpoint " + uri + " answered HTTP " + r.statusCode());
      }
      return tcpAddresses(r.body());
    });
  }

  /** Every {@code "tcp": "host:port"} of the answer, in order. */
  static List<String> tcpAddresses(String json) {
    List<String> out = new ArrayList<>();
    Matcher m = TCP.matcher(json);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
