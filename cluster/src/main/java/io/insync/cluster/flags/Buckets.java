package io.insync.cluster.flags;

import java.nio.charset.StandardCharsets;

/**
 * A user's bucket for a flag: a fixed hash (64-bit FNV-1a, then MurmurHash3's 64-bit finaliser so the low digits
 * mix) of {@code flag + "/" + user}, modulo {@link #COUNT}. The same on every node, every JVM and every release: no
 * {@code String.hashCode}, no random seed. Salted by the flag's name, so the 1% of one flag are not the same users
 * as the 1% of another.
 */
public final class Buckets {
  private Buckets() {}

  /** Buckets per flag: a percentage is a number of buckets, 1% = 100 of them (steps of 0.01%). */
  public static final int COUNT = 10_000;

  /** The bucket of {@code user} for {@code flag}, in [0, {@link #COUNT}). */
  public static int of(String flag, String user) {
    long h = 0xcbf29ce484222325L;
    h = fnv(h, flag.getBytes(StandardCharsets.UTF_8));
    h = fnv(h, new byte[] {'/'});
    h = fnv(h, user.getBytes(StandardCharsets.UTF_8));
    return (int) Long.remainderUnsigned(fmix64(h), COUNT);
  }

  private static long fnv(long h, byte[] bytes) {
    for (byte b : bytes) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  private static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }
}
