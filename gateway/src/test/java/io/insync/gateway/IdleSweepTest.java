package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoopGroup;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IdleSweepTest {
  static final class Conn implements IdleSweep.Watched {
    volatile long last = System.nanoTime();
    volatile boolean held;
    volatile int idles;

    @Override
    public long lastReadNanos() {
      return last;
    }

    @Override
    public boolean heldBack() {
      return held;
    }

    @Override
    public void touch() {
      last = System.nanoTime();
    }

    @Override
    public void idle() {
      idles++;
    }
  }

  @Test
  void onlyConnectionsSilentForTheWholeTimeoutAndNotHeldBackAreToldOnce() {
    DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
    try (IdleSweep sweep = new IdleSweep(group, Duration.ofHours(1))) { // the timer never fires here
      Conn fresh = new Conn();
      Conn silent = new Conn();
      Conn held = new Conn();
      silent.last -= Duration.ofHours(2).toNanos();
      held.last -= Duration.ofHours(2).toNanos();
      held.held = true;
      sweep.add(fresh);
      sweep.add(silent);
      sweep.add(held);
      sweep.sweep();
      assertEquals(0, fresh.idles);
      assertEquals(1, silent.idles);
      assertEquals(0, held.idles, "the gateway holds it back: not the client's silence");
      assertTrue(System.nanoTime() - held.last < Duration.ofMinutes(1).toNanos(), "a full timeout again");
      sweep.sweep();
      assertEquals(1, silent.idles, "told once");
      assertEquals(2, sweep.size());
      sweep.remove(fresh);
      assertEquals(1, sweep.size());
    } finally {
      group.shutdownGracefully();
    }
  }
}
