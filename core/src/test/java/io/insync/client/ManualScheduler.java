package io.insync.client;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/** A {@link Scheduler} on a manual clock: tasks run only when a test advances time. */
final class ManualScheduler implements Scheduler {
  private record Task(long due, long order, Runnable run, CompletableFuture<Void> handle) {}

  private final PriorityQueue<Task> tasks = new PriorityQueue<>(
      (a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.order, b.order));
  private final List<Long> requested = new ArrayList<>();
  private long now;
  private long order;

  @Override
  public Future<?> schedule(Runnable task, long delayMs) {
    requested.add(delayMs);
    CompletableFuture<Void> handle = new CompletableFuture<>();
    tasks.add(new Task(now + delayMs, order++, task, handle));
    return handle;
  }

  /** Moves the clock forward by {@code ms}, running every task that falls due, in order. */
  void advance(long ms) {
    long until = now + ms;
    while (!tasks.isEmpty() && tasks.peek().due() <= until) {
      Task t = tasks.poll();
      now = t.due();
      if (!t.handle().isCancelled()) {
        t.handle().complete(null);
        t.run().run();
      }
    }
    now = until;
  }

  /** The clock, in ms since the start. */
  long now() {
    return now;
  }

  /** Every delay asked for so far, in order (cancelled tasks included). */
  List<Long> requestedDelays() {
    return List.copyOf(requested);
  }

  /** Tasks scheduled and neither run nor cancelled. */
  long live() {
    return tasks.stream().filter(t -> !t.handle().isCancelled()).count();
  }
}
