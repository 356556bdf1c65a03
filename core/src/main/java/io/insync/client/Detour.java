package io.insync.client;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Where the client goes after a {@code Redirect}: first the gateways the Redirect named, in a
 * random order (so that the clients of a leaving gateway spread over the others), then its own
 * address list as usual — never the gateway that is leaving, until a connection elsewhere is
 * authenticated (unless it is the only address the client has: then it waits for it to come back).
 *
 * <p>Plain logic; confined to the client's event loop.
 */
final class Detour {
  private final ArrayDeque<InetSocketAddress> targets = new ArrayDeque<>();
  /** {@link #key} of the gateway that is leaving, or null. */
  private String avoid;

  /**
   * The gateway at {@code leaving} sent a Redirect naming {@code named} ({@code host:port} each;
   * malformed ones and the leaving gateway itself are skipped).
   */
  void redirected(InetSocketAddress leaving, List<String> named, Random random) {
    avoid = leaving == null ? null : key(leaving);
    targets.clear();
    List<InetSocketAddress> parsed = new ArrayList<>();
    for (String s : named) {
      InetSocketAddress a = parse(s);
      if (a != null && !key(a).equals(avoid) && parsed.stream().noneMatch(p -> key(p).equals(key(a)))) {
        parsed.add(a);
      }
    }
    Collections.shuffle(parsed, random);
    targets.addAll(parsed);
  }

  /**
   * The access endpoint offered {@code ordered} ({@code host:port} each, best first): tried in that order,
   * before the client's own addresses (malformed ones and a gateway being avoided are skipped).
   */
  void offered(List<String> ordered) {
    targets.clear();
    for (String s : ordered) {
      InetSocketAddress a = parse(s);
      if (a != null && !key(a).equals(avoid) && targets.stream().noneMatch(p -> key(p).equals(key(a)))) {
        targets.add(a);
      }
    }
  }

  /** Whether a gateway named by a Redirect or offered by the access endpoint is still to be tried. */
  boolean hasTargets() {
    return !targets.isEmpty();
  }

  /** The next gateway the Redirect named that was not tried yet, or null. */
  InetSocketAddress nextTarget() {
    return targets.poll();
  }

  /** Whether {@code address} is the leaving gateway. */
  boolean avoids(InetSocketAddress address) {
    return avoid != null && avoid.equals(key(address));
  }

  /** A connection is authenticated: the detour is over. */
  void onAuthenticated() {
    targets.clear();
    avoid = null;
  }

  /** {@code host:port} or {@code [v6]:port} as an unresolved address, or null if malformed. */
  static InetSocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      return null;
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty()) {
      return null;
    }
    try {
      int port = Integer.parseInt(hostPort.substring(colon + 1));
      return port > 0 && port <= 65535 ? InetSocketAddress.createUnresolved(host, port) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** How two addresses are compared: host as written (case-insensitive) and port. */
  static String key(InetSocketAddress a) {
    return a.getHostString().toLowerCase(Locale.ROOT) + ":" + a.getPort();
  }
}
