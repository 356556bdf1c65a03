package io.insync.client;

import io.insync.core.codec.FrameCodec;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Settings of an {@link InsyncClient}; immutable, built with {@link #builder()}. Only the
 * addresses and the token supplier are required. The accessors return what was built and never
 * fail.
 */
public final class ClientOptions {
  private final List<InetSocketAddress> addresses;
  private final Supplier<String> tokenSupplier;
  private final SyncKeyStore syncKeyStore;
  private final ClientListener listener;
  private final boolean autoSync;
  private final int syncPageSize;
  private final Duration requestTimeout;
  private final Duration sendRetryTimeout;
  private final Duration connectRetryTimeout;
  private final int maxRetriesInFlight;
  private final boolean keepSendOrder;
  private final Duration backoffMin;
  private final Duration backoffMax;
  private final int maxFrameBytes;
  private final EventLoopGroup eventLoopGroup;
  private final Duration heartbeatInterval;
  private final Duration ackInterval;
  private final java.net.InetAddress localAddress;
  private final String clientVersion;
  private final String platform;
  private final java.net.URI accessUrl;
  private final Duration accessTimeout;

  private ClientOptions(Builder b) {
    if (b.addresses.isEmpty()) {
      throw new IllegalArgumentException("at least one address is required");
    }
    this.addresses = List.copyOf(b.addresses);
    this.tokenSupplier = Objects.requireNonNull(b.tokenSupplier, "tokenSupplier is required");
    this.syncKeyStore = b.syncKeyStore != null ? b.syncKeyStore : new InMemorySyncKeyStore();
    this.listener = b.listener;
    this.autoSync = b.autoSync;
    this.syncPageSize = b.syncPageSize;
    this.requestTimeout = positive(b.requestTimeout, "requestTimeout");
    this.sendRetryTimeout = positive(b.sendRetryTimeout, "sendRetryTimeout");
    this.connectRetryTimeout = positive(b.connectRetryTimeout, "connectRetryTimeout");
    this.maxRetriesInFlight = b.maxRetriesInFlight;
    this.keepSendOrder = b.keepSendOrder;
    this.backoffMin = positive(b.backoffMin, "backoffMin");
    this.backoffMax = positive(b.backoffMax, "backoffMax");
    if (backoffMax.compareTo(backoffMin) < 0) {
      throw new IllegalArgumentException("backoffMax is smaller than backoffMin");
    }
    this.maxFrameBytes = b.maxFrameBytes;
    this.eventLoopGroup = b.eventLoopGroup;
    this.heartbeatInterval = b.heartbeatInterval == null ? null : positive(b.heartbeatInterval, "heartbeatInterval");
    this.ackInterval = Objects.requireNonNull(b.ackInterval, "ackInterval");
    if (ackInterval.isNegative()) {
      throw new IllegalArgumentException("ackInterval must not be negative: " + ackInterval);
    }
    this.localAddress = b.localAddress;
    this.clientVersion = b.clientVersion;
    this.platform = b.platform;
    this.accessUrl = b.accessUrl;
    this.accessTimeout = positive(b.accessTimeout, "accessTimeout");
  }

  /** A new builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Gateway addresses, tried in turn starting at a random one. */
  public List<InetSocketAddress> addresses() {
    return addresses;
  }

  /** Called for a token before every authentication (on the event loop: must not block). */
  public Supplier<String> tokenSupplier() {
    return tokenSupplier;
  }

  /** Where the sync key is kept (default: in memory, starting at 0). */
  public SyncKeyStore syncKeyStore() {
    return syncKeyStore;
  }

  /** The callbacks (default: none). */
  public ClientListener listener() {
    return listener;
  }

  /** Whether the client syncs by itself after AuthOk and on Notify (default true). */
  public boolean autoSync() {
    return autoSync;
  }

  /** {@code max_items} of the automatic sync's pages; 0 (default) lets the server choose. */
  public int syncPageSize() {
    return syncPageSize;
  }

  /** How long one request waits for its reply (default 10 s); also the TCP connect timeout. */
  public Duration requestTimeout() {
    return requestTimeout;
  }

  /** How long a send keeps being retried before its future fails (default 60 s). */
  public Duration sendRetryTimeout() {
    return sendRetryTimeout;
  }

  /**
   * How long a first {@link InsyncClient#connect()} keeps trying (default 30 s): through the
   * address list, after refused or dropped connections and after {@code Auth} answers such as
   * {@code Error{UNAVAILABLE}} (a node that is starting or overloaded says "come back"), each
   * retry after a backoff. The connect fails when the next attempt would start after this
   * time; an attempt under way is not cut short (it is bounded by {@link #requestTimeout()}).
   * {@code AUTH_FAILED} fails the connect at once. Once connected, reconnects have no deadline.
   * Lower it for interactive tools that should report an unreachable server quickly.
   */
  public Duration connectRetryTimeout() {
    return connectRetryTimeout;
  }

  /**
   * How many retried sends may wait for their reply at once (default 2): when the server
   * refuses a burst of sends ({@code UNAVAILABLE}, {@code RATE_LIMITED}) or a connection with
   * many sends in flight drops, the retries go out this many at a time, the rest in line,
   * oldest first, so that a recovering server is not hit by all of them at once. First
   * attempts are not held back.
   */
  public int maxRetriesInFlight() {
    return maxRetriesInFlight;
  }

  /**
   * Whether pipelined sends keep their order when some are retried (default false): every send
   * names the previous unacked one ({@code after_client_msg_id}), the server stores it only after
   * that one, and a send refused {@code OUT_OF_ORDER} waits for it (docs/protocol.md, "Sending"
   * point 6). It keeps a device's order across node failures, shard moves and rolling restarts.
   * Off by default because under overload it makes a device's backlog drain one send per ack
   * ({@code OverloadIT} fails with it on: latency stays high for 20 s after the overload ends);
   * with it off, each send is retried on its own and a retried one may land after later ones.
   */
  public boolean keepSendOrder() {
    return keepSendOrder;
  }

  /**
   * The base of every retry delay (default 200 ms): sends, the automatic sync, connect and
   * reconnect. Retry {@code n} (0 = the first) waits the server's {@code retry_after_ms}, if it
   * named one, plus a random time in {@code [0, min(backoffMax, backoffMin · 2ⁿ)]} ("full
   * jitter"), so retries of many sends or clients spread out instead of arriving together.
   */
  public Duration backoffMin() {
    return backoffMin;
  }

  /** The cap of the jitter window of every retry delay (default 10 s); see {@link #backoffMin()}. */
  public Duration backoffMax() {
    return backoffMax;
  }

  /** The frame body limit in both directions (default 1 MiB). */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /** A shared NIO event loop group, if one was given; otherwise the client makes its own. */
  public Optional<EventLoopGroup> eventLoopGroup() {
    return Optional.ofNullable(eventLoopGroup);
  }

  /** A heartbeat interval that overrides the server's {@code heartbeat_seconds}, if set. */
  public Optional<Duration> heartbeatInterval() {
    return Optional.ofNullable(heartbeatInterval);
  }

  /**
   * At most one {@code Ack} per this interval (default 250 ms), carrying the highest key: Acks
   * are cumulative, so a device taking many items a second sends a few Acks, not one per item.
   * The first Ack after a quiet interval goes out at once. {@link Duration#ZERO}: every Ack at once.
   */
  public Duration ackInterval() {
    return ackInterval;
  }

  /** The local address connections are bound to (any free port), if set; else the OS picks. */
  public Optional<java.net.InetAddress> localAddress() {
    return Optional.ofNullable(localAddress);
  }

  /** Sent in {@code Auth.client_version}. */
  public String clientVersion() {
    return clientVersion;
  }

  /** Sent in {@code Auth.platform} ("" none). */
  public String platform() {
    return platform;
  }

  /**
   * The access endpoint asked before connecting, if set: see {@link Builder#accessUrl(java.net.URI)}.
   */
  public Optional<java.net.URI> accessUrl() {
    return Optional.ofNullable(accessUrl);
  }

  /** How long the access endpoint may take to answer (default 2 s); past it the own addresses are used. */
  public Duration accessTimeout() {
    return accessTimeout;
  }

  private static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
    return d;
  }

  /**
   * Builds {@link ClientOptions}. Not thread-safe; may be reused (each {@link #build()} copies
   * it). A setter given {@code null} where a value is required throws {@link NullPointerException}
   * at once, and one given a count out of range throws {@link IllegalArgumentException} at once;
   * durations are checked by {@link #build()}.
   */
  public static final class Builder {
    private final List<InetSocketAddress> addresses = new ArrayList<>();
    private Supplier<String> tokenSupplier;
    private SyncKeyStore syncKeyStore;
    private ClientListener listener = ClientListener.NOOP;
    private boolean autoSync = true;
    private int syncPageSize;
    private Duration requestTimeout = Duration.ofSeconds(10);
    private Duration sendRetryTimeout = Duration.ofSeconds(60);
    private Duration connectRetryTimeout = Duration.ofSeconds(30);
    private int maxRetriesInFlight = 2;
    private boolean keepSendOrder = false;
    private Duration backoffMin = Duration.ofMillis(200);
    private Duration backoffMax = Duration.ofSeconds(10);
    private int maxFrameBytes = FrameCodec.DEFAULT_MAX_FRAME_BYTES;
    private EventLoopGroup eventLoopGroup;
    private Duration heartbeatInterval;
    private Duration ackInterval = Duration.ofMillis(250);
    private java.net.InetAddress localAddress;
    private String clientVersion = "insync-java/0.1";
    private String platform = "";
    private java.net.URI accessUrl;
    private Duration accessTimeout = Duration.ofSeconds(2);

    private Builder() {}

    /**
     * Adds one gateway address (resolved when connecting).
     *
     * @throws IllegalArgumentException if {@code port} is not 0-65535
     * @throws NullPointerException if {@code host} is null
     */
    public Builder address(String host, int port) {
      addresses.add(InetSocketAddress.createUnresolved(host, port));
      return this;
    }

    /** Adds one gateway address. */
    public Builder address(InetSocketAddress address) {
      addresses.add(Objects.requireNonNull(address, "address"));
      return this;
    }

    /** Replaces the gateway addresses. */
    public Builder addresses(List<InetSocketAddress> list) {
      addresses.clear();
      list.forEach(this::address);
      return this;
    }

    /** The token source, called before every authentication. */
    public Builder tokenSupplier(Supplier<String> supplier) {
      this.tokenSupplier = Objects.requireNonNull(supplier, "supplier");
      return this;
    }

    /** A fixed token. */
    public Builder token(String token) {
      Objects.requireNonNull(token, "token");
      return tokenSupplier(() -> token);
    }

    /** Where to keep the sync key. */
    public Builder syncKeyStore(SyncKeyStore store) {
      this.syncKeyStore = Objects.requireNonNull(store, "store");
      return this;
    }

    /** The callbacks. */
    public Builder listener(ClientListener l) {
      this.listener = Objects.requireNonNull(l, "listener");
      return this;
    }

    /** Whether to sync automatically (default true). */
    public Builder autoSync(boolean on) {
      this.autoSync = on;
      return this;
    }

    /**
     * {@code max_items} of automatic sync pages; 0 = server default.
     *
     * @throws IllegalArgumentException if {@code items} is negative
     */
    public Builder syncPageSize(int items) {
      if (items < 0) {
        throw new IllegalArgumentException("syncPageSize must be >= 0");
      }
      this.syncPageSize = items;
      return this;
    }

    /** Per-request timeout (default 10 s). */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout = d;
      return this;
    }

    /** Overall retry time of a send (default 60 s). */
    public Builder sendRetryTimeout(Duration d) {
      this.sendRetryTimeout = d;
      return this;
    }

    /**
     * Retry backoff: base and cap of the jitter window (default 200 ms and 10 s); see {@link
     * ClientOptions#backoffMin()}.
     */
    public Builder backoff(Duration min, Duration max) {
      this.backoffMin = min;
      this.backoffMax = max;
      return this;
    }

    /** How long a first connect keeps retrying (default 30 s); see {@link ClientOptions#connectRetryTimeout()}. */
    public Builder connectRetryTimeout(Duration d) {
      this.connectRetryTimeout = d;
      return this;
    }

    /** Keep pipelined sends in order across retries (default false); see {@link ClientOptions#keepSendOrder()}. */
    public Builder keepSendOrder(boolean keep) {
      this.keepSendOrder = keep;
      return this;
    }

    /**
     * Retried sends outstanding at once (default 2); see {@link ClientOptions#maxRetriesInFlight()}.
     *
     * @throws IllegalArgumentException if {@code sends} is not positive
     */
    public Builder maxRetriesInFlight(int sends) {
      if (sends <= 0) {
        throw new IllegalArgumentException("maxRetriesInFlight must be positive");
      }
      this.maxRetriesInFlight = sends;
      return this;
    }

    /**
     * Frame body limit (default 1 MiB).
     *
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public Builder maxFrameBytes(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxFrameBytes must be positive");
      }
      this.maxFrameBytes = bytes;
      return this;
    }

    /**
     * A shared NIO event loop group (for example one for 10,000 clients). The client never
     * shuts a shared group down. {@code null} (the default): each client makes its own.
     */
    public Builder eventLoopGroup(EventLoopGroup group) {
      this.eventLoopGroup = group;
      return this;
    }

    /** Overrides the heartbeat interval the server asks for; {@code null} (the default): the server's. */
    public Builder heartbeatInterval(Duration d) {
      this.heartbeatInterval = d;
      return this;
    }

    /** At most one Ack per interval (default 250 ms; zero: every Ack at once); see {@link ClientOptions#ackInterval()}. */
    public Builder ackInterval(Duration d) {
      this.ackInterval = d;
      return this;
    }

    /**
     * Binds every connection to this local address (for example a load generator using
     * 127.0.0.N, so that each source address has its own range of ephemeral ports).
     */
    public Builder localAddress(java.net.InetAddress address) {
      this.localAddress = Objects.requireNonNull(address, "localAddress");
      return this;
    }

    /** Free text sent in {@code Auth.client_version}. */
    public Builder clientVersion(String v) {
      this.clientVersion = Objects.requireNonNull(v, "clientVersion");
      return this;
    }

    /**
     * Sent in {@code Auth.platform}: "phone", "tablet", "desktop", "web" or "" (default). The
     * deployment's login policy may log out other devices of the same platform (see
     * docs/protocol.md, "Devices").
     *
     * @throws IllegalArgumentException if {@code p} is longer than 32 characters
     */
    public Builder platform(String p) {
      this.platform = Objects.requireNonNull(p, "platform");
      if (p.length() > 32) throw new IllegalArgumentException("platform is longer than 32 characters");
      return this;
    }

    /**
     * An access endpoint (a node's {@code GET /insync/access}, e.g. {@code
     * http://10.0.0.5:8558/insync/access?user=alice}; behind a load balancer in a deployment): asked at
     * {@link InsyncClient#connect()} and before each reconnect, its gateways are tried in the order it
     * gives (the client's IDC first, the least loaded first, draining nodes left out), then the addresses
     * given here. A gateway named by a {@code Redirect} is tried before asking again. If the endpoint does
     * not answer within {@link #accessTimeout(Duration)}, answers an error or names no gateway, the client
     * uses its own addresses: the endpoint is an optimisation, never a single point of failure.
     *
     * @throws IllegalArgumentException if {@code url} is not http or https
     */
    public Builder accessUrl(java.net.URI url) {
      Objects.requireNonNull(url, "accessUrl");
      if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
        throw new IllegalArgumentException("accessUrl must be http:// or https:// (was " + url + ")");
      }
      this.accessUrl = url;
      return this;
    }

    /** How long the access endpoint may take to answer (default 2 s). */
    public Builder accessTimeout(Duration d) {
      this.accessTimeout = d;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException if no address was given, a duration is zero or negative
     *     ({@code ackInterval}: negative), or {@code backoffMax} is smaller than {@code backoffMin}
     * @throws NullPointerException if no token supplier was given, or a duration was set to null
     */
    public ClientOptions build() {
      return new ClientOptions(this);
    }
  }
}
