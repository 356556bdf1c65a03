package io.insync.ops.bench;

import io.insync.client.ClientListener;
import io.insync.protocol.Error;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What a load run's sender and clients saw, whatever the scenario: sends made (in the measured window
 * too), how far the sender fell behind its schedule, send→ack latency of measured messages, acks in
 * the window, failed sends by kind, disconnects, and Error frames by code.
 */
final class RunCounters {
  static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(10);

  final Histogram ackLatencyMicros = new ConcurrentHistogram(1, MAX_LATENCY_MICROS, 3);
  final LongAdder errors = new LongAdder();
  final LongAdder timeouts = new LongAdder();
  final AtomicLong ackedInWindow = new AtomicLong();
  final AtomicLong sentTotal = new AtomicLong();
  final AtomicLong sentInWindow = new AtomicLong();
  final LongAdder disconnects = new LongAdder();
  private final AtomicLong maxLagNanos = new AtomicLong();
  private final Map<String, LongAdder> serverErrors = new ConcurrentHashMap<>();

  /** Message {@code n} (0-based) goes out {@code lagNanos} after it was due. */
  void sending(long n, long lagNanos, boolean inWindow) {
    if (lagNanos > maxLagNanos.get()) maxLagNanos.set(lagNanos);
    if (inWindow) sentInWindow.incrementAndGet();
    sentTotal.set(n + 1);
  }

  long maxLagMicros() {
    return TimeUnit.NANOSECONDS.toMicros(maxLagNanos.get());
  }

  void serverError(Error error) {
    serverErrors.computeIfAbsent(error.getCode().name(), k -> new LongAdder()).increment();
  }

  /** Error frames by code. */
  Map<String, Long> serverErrors() {
    Map<String, Long> errs = new LinkedHashMap<>();
    serverErrors.forEach((k, v) -> errs.put(k, v.sum()));
    return errs;
  }

  /** A send failed: a timeout (the SDK's retry time ran out) or another error. */
  void failed(Throwable err) {
    if (BenchClients.root(err) instanceof TimeoutException) timeouts.increment();
    else errors.increment();
  }

  /** The first ack of a message due at {@code dueNanos} came at {@code nowNanos}. */
  void acked(long dueNanos, long nowNanos, boolean measured, boolean inWindow) {
    if (inWindow) ackedInWindow.incrementAndGet();
    if (measured) ackLatencyMicros.recordValue(Math.min(MAX_LATENCY_MICROS, (nowNanos - dueNanos) / 1000));
  }

  /** A bench client's listener that counts its disconnects and Error frames here. */
  abstract static class CountingListener implements ClientListener {
    private final RunCounters counters;

    CountingListener(RunCounters counters) {
      this.counters = counters;
    }

    @Override
    public void onDisconnected(Throwable cause) {
      counters.disconnects.increment();
    }

    @Override
    public void onError(Error error) {
      counters.serverError(error);
    }
  }
}
