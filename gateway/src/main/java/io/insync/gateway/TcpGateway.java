package io.insync.gateway;

import io.insync.core.codec.Envelopes;
import io.insync.core.codec.FrameCodec;
import io.insync.core.codec.ProtocolException;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.persistence.metrics.InsyncMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SYNC servers, on Netty: a TCP listener (length-prefixed protobuf frames, the codec from
 * core) and a WebSocket listener (one binary message per Envelope, {@link WebSocketFraming}), one
 * {@link Session} actor per connection. The two differ only in their framing stage; everything
 * after it (idle timeout, {@link FlowControl}, the session) is installed by one method, {@link
 * #installSessionStages}, and every limit (max-connections included) counts both.
 *
 * <p>Why Netty and not Pekko Streams TCP: an idle connection here costs a channel, a small
 * pipeline and one actor (a few KiB of heap), with pooled buffers released between frames, and
 * the client SDK and the gateway share one codec. Pekko Streams would materialize a stream graph
 * (several actors and buffers) per connection.
 */
public final class TcpGateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TcpGateway.class);

  private final ActorSystem<?> system;
  private final GatewaySettings settings;
  private final Session.Deps deps;
  private final EventLoopGroup boss = new NioEventLoopGroup(1);
  private final EventLoopGroup workers;
  private final IdleSweep idle;
  private final AtomicInteger open = new AtomicInteger();
  /** The channels of the sessions open now (the ones a graceful leave redirects). */
  private final Set<Channel> live = ConcurrentHashMap.newKeySet();
  /** Session actor names are unique in the JVM: several gateways may share one actor system (tests). */
  private static final AtomicLong ids = new AtomicLong();
  /** The Redirect of an operator's drain, sent to every connection that opens while it is set; or null. */
  private volatile Envelope drainRedirect;
  private Channel tcpServer;
  private Channel wsServer;

  private static final String SESSION = "session";

  public TcpGateway(ActorSystem<?> system, Session.Deps deps) {
    this.system = system;
    this.settings = deps.settings();
    this.deps = deps;
    this.workers = new NioEventLoopGroup(settings.workerThreads());
    this.idle = new IdleSweep(boss, settings.idleTimeout()); // on the acceptor's thread, mostly idle itself
  }

  /**
   * Binds the TCP listener and, if {@code websocket.enabled}, the WebSocket one (same host), and
   * returns the bound TCP address (the port is known even when configured as 0); see {@link
   * #webSocketAddress()} for the other. If either cannot bind (a port in use), nothing stays bound
   * and the threads are released before the error is thrown.
   */
  public InetSocketAddress start() throws InterruptedException {
    boolean started = false;
    try {
      InetSocketAddress tcp = bindListeners();
      started = true;
      return tcp;
    } finally {
      if (!started) close();
    }
  }

  private InetSocketAddress bindListeners() throws InterruptedException {
    tcpServer = listener(new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        FrameCodec.install(ch.pipeline(), settings.maxFrameBytes());
        installSessionStages(ch.pipeline());
      }
    }).bind(settings.host(), settings.port()).sync().channel();
    InetSocketAddress tcp = (InetSocketAddress) tcpServer.localAddress();
    log.info("TCP SYNC gateway listening on {}:{}", tcp.getHostString(), tcp.getPort());
    GatewaySettings.WebSocket ws = settings.webSocket();
    if (ws.enabled()) {
      long upgradeTimeout = settings.authTimeout().toMillis();
      wsServer = listener(new ChannelInitializer<SocketChannel>() {
        @Override
        protected void initChannel(SocketChannel ch) {
          WebSocketFraming.install(ch.pipeline(), ws.path(), settings.maxFrameBytes(), upgradeTimeout,
              TcpGateway.this::installSessionStages);
          // the session (and its auth timer) starts with the upgrade; a connection that never upgrades is cut
          ch.eventLoop().schedule(() -> {
            if (ch.pipeline().get(SESSION) == null) ch.close();
          }, upgradeTimeout, TimeUnit.MILLISECONDS);
        }
      }).bind(settings.host(), ws.port()).sync().channel();
      InetSocketAddress bound = webSocketAddress().orElseThrow();
      log.info("WebSocket SYNC gateway listening on ws://{}:{}{}", bound.getHostString(), bound.getPort(), ws.path());
    }
    return tcp;
  }

  /** The bound WebSocket address, once started; empty if {@code websocket.enabled} is false. */
  public Optional<InetSocketAddress> webSocketAddress() {
    return wsServer == null ? Optional.empty() : Optional.of((InetSocketAddress) wsServer.localAddress());
  }

  /** The WebSocket path clients upgrade on ({@code websocket.path}). */
  public String webSocketPath() {
    return settings.webSocket().path();
  }

  private ServerBootstrap listener(ChannelInitializer<SocketChannel> framing) {
    return new ServerBootstrap()
        .group(boss, workers)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
            settings.backpressure().writeLowWaterMark(), settings.backpressure().writeHighWaterMark()))
        .childHandler(framing);
  }

  /**
   * The stages every connection has after its framing, whatever the transport: {@link FlowControl}
   * and the bridge to the session actor, which also keeps the idle timeout with {@link IdleSweep}
   * (it sees decoded Envelopes only, so neither partial frames nor WebSocket pings keep a
   * connection alive). TCP installs
   * them when the connection opens, WebSocket once its upgrade is done.
   */
  private void installSessionStages(ChannelPipeline p) {
    p.addLast(FlowControl.NAME, new FlowControl(settings.backpressure()));
    p.addLast(SESSION, new SessionHandler());
  }

  /** Connections open now. */
  public int openConnections() {
    return open.get();
  }

  /** Requests all sessions have in flight to user entities now (the admission count). */
  public int requestsInFlight() {
    return deps.admission().inFlight();
  }

  /**
   * Stops accepting connections: closes the TCP and WebSocket listeners (a connect is refused from
   * now on); the connections open now stay. The first step of a graceful leave; idempotent.
   */
  public void unbind() {
    if (tcpServer != null) tcpServer.close().syncUninterruptibly();
    if (wsServer != null) wsServer.close().syncUninterruptibly();
  }

  /**
   * The rest of a graceful leave, after {@link #unbind()}: writes {@code redirect} (a {@code
   * Redirect} push) to every open connection, authenticated or not, then waits until the clients
   * have closed them or {@code grace} has passed, and then closes the ones still open with a fatal
   * {@code Error{UNAVAILABLE, retryAfterMs}} (which a client that does not know {@code Redirect}
   * takes as "reconnect elsewhere"). Completes when no connection is open, at most about {@code
   * grace} plus the close of the last ones; never fails.
   */
  public CompletionStage<Integer> drain(Envelope redirect, Duration grace, int retryAfterMs) {
    List<Channel> channels = new ArrayList<>(live);
    int told = 0;
    for (Channel ch : channels) {
      if (ch.isActive()) {
        // not through Connection.push: a Redirect is never dropped for a client that reads slowly
        ch.writeAndFlush(redirect);
        told++;
      }
    }
    log.info("leaving: sent Redirect to {} connections (naming {}), waiting up to {} ms for them to move",
        told, redirect.getRedirect().getTcpList(), grace.toMillis());
    CompletableFuture<Integer> done = new CompletableFuture<>();
    long deadline = System.nanoTime() + grace.toNanos();
    long closedBy = deadline + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
    int total = told;
    boolean[] forced = {false};
    Runnable[] check = new Runnable[1];
    check[0] = () -> {
      long now = System.nanoTime();
      if (live.isEmpty()) {
        if (!forced[0]) log.info("leaving: all {} connections moved", total);
        done.complete(total);
      } else if (!forced[0] && now - deadline >= 0) {
        forced[0] = true;
        log.info("leaving: {} of {} connections still open after {} ms, closing them", live.size(), total,
            grace.toMillis());
        Envelope last = Envelopes.error(0, ErrorCode.UNAVAILABLE, "this gateway is stopping; connect to another",
            retryAfterMs, true);
        for (Channel ch : new ArrayList<>(live)) {
          ch.eventLoop().execute(() -> Connection.closeAfterWrite(ch, last));
        }
        boss.schedule(check[0], DRAIN_POLL_MILLIS, TimeUnit.MILLISECONDS);
      } else if (forced[0] && now - closedBy >= 0) {
        done.complete(total); // the gateway's close cuts what is left
      } else {
        boss.schedule(check[0], DRAIN_POLL_MILLIS, TimeUnit.MILLISECONDS);
      }
    };
    boss.execute(check[0]);
    return done;
  }

  /**
   * An operator's drain ({@link AccessRouting}): from now on every new connection is sent {@code redirect}
   * at once, and each connection open now gets it at its own moment, spread evenly over {@code spread}
   * (the first at once), so that the clients of this node arrive elsewhere gradually. Unlike a leave, the
   * listeners stay open and nothing is closed: clients move by themselves. Returns how many connections
   * are told; {@link #endRedirect()} stops the sends not yet made.
   */
  public int redirectOver(Envelope redirect, Duration spread) {
    drainRedirect = redirect;
    List<Channel> channels = new ArrayList<>(live);
    long step = channels.isEmpty() ? 0 : spread.toNanos() / channels.size();
    for (int i = 0; i < channels.size(); i++) {
      Channel ch = channels.get(i);
      boss.schedule(() -> {
        if (drainRedirect == redirect && ch.isActive()) ch.writeAndFlush(redirect);
      }, step * i, TimeUnit.NANOSECONDS);
    }
    log.info("draining: sending Redirect to {} connections over {} ms (naming {})", channels.size(),
        spread.toMillis(), redirect.getRedirect().getTcpList());
    return channels.size();
  }

  /** The drain is undone: new connections are served again, the Redirects not yet sent are not sent. */
  public void endRedirect() {
    drainRedirect = null;
  }

  /** How long a drain waits, after the grace, for the connections it closed to be gone. */
  private static final long CLOSE_WAIT_MILLIS = 1_000;
  private static final long DRAIN_POLL_MILLIS = 20;

  /** Stops accepting, closes every connection (their sessions stop), releases threads. */
  @Override
  public void close() {
    unbind();
    idle.close();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /**
   * Bridges one channel to its session actor. It starts when the channel is active with it in the
   * pipeline: at connect on TCP, at once when added after a WebSocket upgrade.
   */
  private final class SessionHandler extends ChannelInboundHandlerAdapter implements IdleSweep.Watched {
    private ActorRef<Session.Msg> session;
    private FlowControl flow;
    private boolean started;
    /** Counted in the connections gauge (a connection refused as "gateway is full" is not). */
    private boolean counted;
    private boolean websocket;
    private Channel channel;
    private volatile long lastRead;

    @Override
    public long lastReadNanos() {
      return lastRead;
    }

    @Override
    public boolean heldBack() {
      return flow != null && flow.pausedForOutstanding();
    }

    @Override
    public void touch() {
      lastRead = System.nanoTime();
    }

    @Override
    public void idle() {
      channel.eventLoop().execute(() -> {
        if (channel.isActive()) {
          Connection.closeAfterWrite(channel, Envelopes.error(0, ErrorCode.TIMEOUT,
              "nothing received for " + settings.idleTimeout().toSeconds() + "s", 0, true));
        }
      });
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      if (ctx.channel().isActive()) start(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      start(ctx);
      ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
      if (started) return;
      started = true;
      if (open.incrementAndGet() > settings.maxConnections()) {
        Connection.closeAfterWrite(ctx.channel(), Envelopes.error(0, ErrorCode.UNAVAILABLE,
            "gateway is full, try another address", settings.retryAfter().gatewayFull(), true));
        return;
      }
      flow = (FlowControl) ctx.pipeline().get(FlowControl.NAME);
      channel = ctx.channel();
      websocket = ctx.pipeline().get(WebSocketFraming.WS_PROTOCOL) != null;
      counted = true;
      InsyncMetrics.connectionOpened(websocket);
      lastRead = System.nanoTime();
      idle.add(this);
      live.add(channel);
      session = system.systemActorOf(Session.create(new Connection(ctx.channel(), flow), deps),
          "session-" + ids.incrementAndGet(), Props.empty());
      Envelope drain = drainRedirect;
      if (drain != null) channel.writeAndFlush(drain); // this node is draining: go elsewhere
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Envelope e && session != null) {
        lastRead = System.nanoTime();
        session.tell(new Session.FrameIn(e));
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (started) open.decrementAndGet();
      if (counted) InsyncMetrics.connectionClosed(websocket);
      counted = false;
      live.remove(ctx.channel());
      idle.remove(this);
      if (session != null) session.tell(Session.Closed.INSTANCE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      var protocolError = ProtocolException.find(cause);
      if (protocolError.isPresent()) {
        // a malformed or oversized frame costs only this connection
        log.debug("closing {}: {}", ctx.channel().remoteAddress(), protocolError.get().getMessage());
        Connection.closeAfterWrite(ctx.channel(), Envelopes.fromProtocolException(protocolError.get()));
      } else {
        if (!(cause instanceof IOException)) log.warn("closing {} after an error", ctx.channel().remoteAddress(), cause);
        ctx.close();
      }
    }
  }
}
