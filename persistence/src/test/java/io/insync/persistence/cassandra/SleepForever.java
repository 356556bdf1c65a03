package io.insync.persistence.cassandra;

/** Test main class that prints its arguments and then sleeps until its JVM exits. */
public final class SleepForever {

  private SleepForever() {}

  public static void main(String[] args) throws InterruptedException {
    System.out.println("started " + String.join(" ", args));
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
