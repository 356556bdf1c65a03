package io.insync.ops;

import com.sun.net.httpserver.HttpServer;
import io.insync.ops.management.MiniJson;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** A local HTTP listener standing in for the alert webhook: keeps every JSON body POSTed to {@link #url()}. */
final class WebhookListener implements AutoCloseable {
  /** One POST: when it arrived ({@code System.nanoTime()}) and its JSON body. */
  record Hook(long atNanos, Map<String, Object> body) {}

  private final HttpServer server;
  private final List<Hook> received = new CopyOnWriteArrayList<>();

  WebhookListener() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/hook", ex -> {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      @SuppressWarnings("unchecked")
      Map<String, Object> json = (Map<String, Object>) MiniJson.parse(body);
      received.add(new Hook(System.nanoTime(), json));
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    server.start();
  }

  /** What {@code insync.alerts.webhook.url} is set to. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  List<Hook> received() {
    return List.copyOf(received);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
