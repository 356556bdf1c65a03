package io.insync.gateway;

import io.insync.core.codec.Envelopes;
import io.insync.core.codec.FrameCodec;
import io.insync.core.codec.ProtocolException;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP SYNC server, on Netty: length-prefixed protobuf frames (the codec from core), one
 * {@link Session} actor per connection.
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
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();
  private Channel server;

  public TcpGateway(ActorSystem<?> system, Session.Deps deps) {
    this.system = system;
    this.settings = deps.settings();
    this.deps = deps;
    this.workers = new NioEventLoopGroup(settings.workerThreads());
  }

  /** Binds and returns the bound address (the port is known even when configured as 0). */
  public InetSocketAddress start() throws InterruptedException {
    ServerBootstrap b = new ServerBootstrap()
        .group(boss, workers)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
            settings.backpressure().writeLowWaterMark(), settings.backpressure().writeHighWaterMark()))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("idle", new IdleStateHandler(settings.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
            FrameCodec.install(ch.pipeline(), settings.maxFrameBytes());
            ch.pipeline().addLast(FlowControl.NAME, new FlowControl(settings.backpressure()));
            ch.pipeline().addLast("session", new SessionHandler());
          }
        });
    server = b.bind(settings.host(), settings.port()).sync().channel();
    InetSocketAddress bound = (InetSocketAddress) server.localAddress();
    log.info("TCP SYNC gateway listening on {}:{}", bound.getHostString(), bound.getPort());
    return bound;
  }

  /** Connections open now. */
  public int openConnections() {
    return open.get();
  }

  /** Requests all sessions have in flight to user entities now (the admission count). */
  public int requestsInFlight() {
    return deps.admission().inFlight();
  }

  /** Stops accepting, closes every connection (their sessions stop), releases threads. */
  @Override
  public void close() {
    if (server != null) server.close().syncUninterruptibly();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Bridges one channel to its session actor. */
  private final class SessionHandler extends ChannelInboundHandlerAdapter {
    private ActorRef<Session.Msg> session;
    private FlowControl flow;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (open.incrementAndGet() > settings.maxConnections()) {
        Connection.closeAfterWrite(ctx.channel(), Envelopes.error(0, ErrorCode.UNAVAILABLE,
            "gateway is full, try another address", settings.retryAfter().gatewayFull(), true));
        return;
      }
      flow = (FlowControl) ctx.pipeline().get(FlowControl.NAME);
      session = system.systemActorOf(Session.create(new Connection(ctx.channel(), flow), deps),
          "session-" + ids.incrementAndGet(), Props.empty());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Envelope e && session != null) session.tell(new Session.FrameIn(e));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      open.decrementAndGet();
      if (session != null) session.tell(Session.Closed.INSTANCE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      // while the gateway itself holds reading back (its entities are slow), silence is not the client's
      if (evt instanceof IdleStateEvent && !(flow != null && flow.pausedForOutstanding())) {
        Connection.closeAfterWrite(ctx.channel(), Envelopes.error(0, ErrorCode.TIMEOUT,
            "nothing received for " + settings.idleTimeout().toSeconds() + "s", 0, true));
      }
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
