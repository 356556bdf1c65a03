package io.insync.ops.fence;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.context.DriverContext;
import com.datastax.oss.driver.api.core.session.ProgrammaticArguments;
import com.datastax.oss.driver.internal.core.context.DefaultDriverContext;
import com.datastax.oss.driver.internal.core.context.NettyOptions;
import com.typesafe.config.Config;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.Timer;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.CqlSessionProvider;
import org.apache.pekko.stream.connectors.cassandra.CqlSessionProvider$;
import org.apache.pekko.stream.connectors.cassandra.DriverConfigLoaderFromConfig$;
import scala.jdk.javaapi.FutureConverters;
import scala.concurrent.ExecutionContext;

/**
 * The Cassandra session of the node's journal, snapshot store and read journal, with the fence's
 * pause check as the last stage of every driver connection's pipeline: bytes that the driver had
 * queued when the process was paused are not sent after it resumes if the pause was longer than
 * {@code insync.fence.max-pause}. The journal's own check ({@link FencedCassandraJournal}) comes
 * before a write is handed to the driver; this one closes the gap between that check and the
 * socket (a write queued in the driver's event loop or its write coalescer, which PauseIT caught
 * landing after another node had taken the user over). Configured as {@code
 * pekko.persistence.cassandra.session-provider} (ops persistence.conf); otherwise as Pekko's
 * DefaultSessionProvider (without service discovery).
 */
public final class FencedSessionProvider implements CqlSessionProvider {
  private final ActorSystem system;
  private final Config config;

  public FencedSessionProvider(ActorSystem system, Config config) {
    this.system = system;
    this.config = config;
  }

  @Override
  public scala.concurrent.Future<CqlSession> connect(ExecutionContext ec) {
    SelfFence fence = SelfFence.get(system);
    Config driverConfig = CqlSessionProvider$.MODULE$.driverConfig(system, config);
    DriverConfigLoader loader = DriverConfigLoaderFromConfig$.MODULE$.fromConfig(driverConfig);
    return FutureConverters.asScala(new Builder(fence).withConfigLoader(loader).buildAsync());
  }

  /** A session builder whose driver context adds the fence to every connection. */
  private static final class Builder extends CqlSessionBuilder {
    private final SelfFence fence;

    Builder(SelfFence fence) {
      this.fence = fence;
    }

    @Override
    protected DriverContext buildContext(DriverConfigLoader configLoader, ProgrammaticArguments args) {
      return new DefaultDriverContext(configLoader, args) {
        @Override
        protected NettyOptions buildNettyOptions() {
          return new FencedNettyOptions(super.buildNettyOptions(), fence);
        }
      };
    }
  }

  /** The driver's Netty options, plus the fence handler on each new channel. */
  private static final class FencedNettyOptions implements NettyOptions {
    private final NettyOptions d;
    private final SelfFence fence;

    FencedNettyOptions(NettyOptions delegate, SelfFence fence) {
      this.d = delegate;
      this.fence = fence;
    }

    @Override public EventLoopGroup ioEventLoopGroup() { return d.ioEventLoopGroup(); }
    @Override public Class<? extends Channel> channelClass() { return d.channelClass(); }
    @Override public EventExecutorGroup adminEventExecutorGroup() { return d.adminEventExecutorGroup(); }
    @Override public ByteBufAllocator allocator() { return d.allocator(); }
    @Override public void afterBootstrapInitialized(Bootstrap bootstrap) { d.afterBootstrapInitialized(bootstrap); }
    @Override public Future<Void> onClose() { return d.onClose(); }
    @Override public Timer getTimer() { return d.getTimer(); }

    @Override
    public void afterChannelInitialized(Channel channel) {
      d.afterChannelInitialized(channel);
      // first in the pipeline: outbound messages pass it last, right before the socket
      channel.pipeline().addFirst("insync-fence", new FenceHandler(fence));
    }
  }

  /** Fails every write on the connection once the process was paused for too long. */
  static final class FenceHandler extends ChannelOutboundHandlerAdapter {
    private final SelfFence fence;

    FenceHandler(SelfFence fence) {
      this.fence = fence;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      String why = fence.pauseRefusal();
      if (why != null) {
        ReferenceCountUtil.release(msg);
        promise.setFailure(new FencedCassandraJournal.FencedException(why));
        return;
      }
      ctx.write(msg, promise);
    }
  }
}
