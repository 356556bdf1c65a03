package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.insync.core.codec.FrameCodec;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Envelope;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test server on 127.0.0.1 that speaks the real frame codec and lets a test script the
 * conversation: every received envelope is queued with its connection, the test answers.
 */
final class ScriptedServer implements AutoCloseable {
  /** One received envelope and the connection it came on. */
  record Received(Channel conn, Envelope env) {
    void reply(Envelope answer) {
      conn.writeAndFlush(answer).syncUninterruptibly();
    }
  }

  private final NioEventLoopGroup group = new NioEventLoopGroup(1);
  private final BlockingQueue<Received> inbox = new LinkedBlockingQueue<>();
  private final BlockingQueue<Channel> connections = new LinkedBlockingQueue<>();
  private final Channel server;

  ScriptedServer() {
    server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            connections.add(ch);
            FrameCodec.install(ch.pipeline(), FrameCodec.DEFAULT_MAX_FRAME_BYTES);
            ch.pipeline().addLast(new SimpleChannelInboundHandler<Envelope>() {
              @Override
              protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
                inbox.add(new Received(ctx.channel(), msg));
              }
            });
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0))
        .syncUninterruptibly()
        .channel();
  }

  InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  /** The next received envelope; fails the test after 5 s. */
  Received next() throws InterruptedException {
    Received r = inbox.poll(5, TimeUnit.SECONDS);
    assertNotNull(r, "the server received nothing within 5 s");
    return r;
  }

  /** The next received envelope, which must carry {@code expected}. */
  Received next(Envelope.CommandCase expected) throws InterruptedException {
    Received r = next();
    assertEquals(expected, r.env().getCommandCase(), () -> "got " + r.env());
    return r;
  }

  /** Something received within {@code millis}, or null. */
  Received poll(long millis) throws InterruptedException {
    return inbox.poll(millis, TimeUnit.MILLISECONDS);
  }

  /** Answers the next Auth with AuthOk. */
  Received acceptAuth(long latestSeq) throws InterruptedException {
    Received auth = next(Envelope.CommandCase.AUTH);
    auth.reply(Envelope.newBuilder().setRequestId(auth.env().getRequestId())
        .setAuthOk(AuthOk.newBuilder().setUserId("alice").setDeviceId("phone")
            .setLatestSeq(latestSeq).setHeartbeatSeconds(30))
        .build());
    return auth;
  }

  int connectionCount() {
    return connections.size();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
