package io.insync.persistence.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Main class of a child JVM that must not outlive its parent.
 *
 * <p>Usage: {@code java -cp <dir>:<app classpath> io.insync.persistence.cassandra.ParentWatchdog
 * <real main class> [args...]}. It starts a daemon thread that reads {@code System.in} until end
 * of file, then calls {@code main(String[])} of the real main class with the remaining arguments.
 * The parent keeps the write end of the child's stdin pipe open and never writes to it; when the
 * parent process ends, however it ends (even by SIGKILL), the operating system closes that pipe,
 * the read returns end of file, and the watchdog calls {@link System#exit(int)} so the child's
 * shutdown hooks run. If exiting hangs for {@value #HALT_AFTER_SECONDS} seconds, it halts.
 *
 * <p>This class depends on the JDK only and compiles to a single class file (no inner or anonymous
 * classes), because {@link CassandraLauncher} copies its bytes alone onto the child's classpath.
 */
public final class ParentWatchdog {

  /** Seconds allowed for {@code System.exit} (shutdown hooks) before the JVM is halted. */
  static final int HALT_AFTER_SECONDS = 20;

  /** Exit status of a child whose parent went away. */
  static final int PARENT_GONE_STATUS = 0;

  private ParentWatchdog() {}

  /**
   * Starts the stdin watch, then runs the real main class.
   *
   * @param args the real main class name followed by its arguments
   * @throws Throwable whatever the real main method throws
   */
  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      System.err.println("usage: ParentWatchdog <main class> [args...]");
      System.exit(2);
    }
    Thread watcher = new Thread(ParentWatchdog::watchStdin, "parent-watchdog");
    watcher.setDaemon(true);
    watcher.start();

    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static void watchStdin() {
    byte[] buffer = new byte[256];
    try {
      InputStream in = System.in;
      while (in.read(buffer) >= 0) {
        // the parent never writes; anything that arrives is ignored
      }
    } catch (IOException e) {
      // a broken pipe means the same as end of file: the parent is gone
    }
    System.err.println("ParentWatchdog: stdin closed, the parent process is gone; exiting");
    Thread halter = new Thread(ParentWatchdog::haltLater, "parent-watchdog-halt");
    halter.setDaemon(true);
    halter.start();
    System.exit(PARENT_GONE_STATUS);
  }

  private static void haltLater() {
    try {
      TimeUnit.SECONDS.sleep(HALT_AFTER_SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.err.println("ParentWatchdog: exit did not finish in " + HALT_AFTER_SECONDS + " s; halting");
    Runtime.getRuntime().halt(PARENT_GONE_STATUS);
  }
}
