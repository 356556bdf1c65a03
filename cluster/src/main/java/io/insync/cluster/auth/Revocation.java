package io.insync.cluster.auth;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of the replicated revocations, as stored (a plain string, so that the map needs no serializer of its
 * own). Keyed by {@code ban/USER}, {@code revoke/USER} or {@code revoke/USER/DEVICE}; the value is
 * {@code at;until;who;reason}: when it was written, until when a ban holds (0: until lifted) or, for a
 * revocation, the cut-off (tokens issued before it are refused), who wrote it and why.
 *
 * @param kind {@link Kind#BAN} or {@link Kind#REVOKE}
 * @param device the device of a device revocation; null for a user's
 * @param at epoch ms of the write
 * @param until a ban's end in epoch ms (0: until lifted); a revocation's cut-off in epoch ms
 */
public record Revocation(Kind kind, String user, String device, long at, long until, String who, String reason) {
  /** A ban refuses every token of the user; a revocation the tokens issued before its cut-off. */
  public enum Kind { BAN, REVOKE }

  /** The map key: one entry per banned user, per user revocation and per device revocation. */
  public String key() {
    return key(kind, user, device);
  }

  static String key(Kind kind, String user, String device) {
    return (kind == Kind.BAN ? "ban/" : "revoke/") + user + (device == null ? "" : "/" + device);
  }

  /** The stored value. */
  public String value() {
    return at + ";" + until + ";" + who.replace(';', ',') + ";" + reason;
  }

  /** The entry stored under {@code key} as {@code value}, or empty if it does not parse (ignored then). */
  static Optional<Revocation> parse(String key, String value) {
    try {
      String[] k = key.split("/", -1);
      String[] v = value.split(";", 4);
      if (v.length != 4 || k.length < 2 || k.length > 3) return Optional.empty();
      Kind kind = k[0].equals("ban") ? Kind.BAN : k[0].equals("revoke") ? Kind.REVOKE : null;
      if (kind == null || kind == Kind.BAN && k.length != 2) return Optional.empty();
      return Optional.of(new Revocation(kind, k[1], k.length == 3 ? k[2] : null, Long.parseLong(v[0]),
          Long.parseLong(v[1]), v[2], v[3]));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether this entry still has an effect at {@code nowMs}: a ban not yet over, or any revocation. */
  boolean active(long nowMs) {
    return kind == Kind.REVOKE || until == 0 || until > nowMs;
  }

  /**
   * Why {@code entries} (by key) refuse a token of {@code user}'s {@code device} issued at {@code issuedAt}, at
   * {@code now}: a ban in force, or a revocation of the user or of that device whose cut-off is after the
   * token's issue time (a v1 token, which does not say, counts as issued at the epoch).
   */
  static Optional<String> refusal(Map<String, Revocation> entries, String user, String device, Instant issuedAt,
      Instant now) {
    Revocation ban = entries.get(key(Kind.BAN, user, null));
    if (ban != null && ban.active(now.toEpochMilli())) {
      return Optional.of("user banned" + (ban.until == 0 ? "" : " until " + Instant.ofEpochMilli(ban.until))
          + (ban.reason.isEmpty() ? "" : ": " + ban.reason));
    }
    long issued = issuedAt.toEpochMilli();
    for (Revocation r : new Revocation[] {entries.get(key(Kind.REVOKE, user, null)),
        entries.get(key(Kind.REVOKE, user, device))}) {
      // issue times are whole seconds: a token issued in the very second of the cut-off is refused too (it may
      // have been issued before the revocation); a token issued from the next second on is accepted
      if (r != null && issued < r.until - r.until % 1000 + 1000) {
        return Optional.of("token revoked (issued before " + Instant.ofEpochMilli(r.until)
            + "; get a new one)" + (r.reason.isEmpty() ? "" : ": " + r.reason));
      }
    }
    return Optional.empty();
  }
}
