package io.insync.core.auth;

import io.insync.core.Ids;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies insync auth tokens: HMAC-SHA256 over (key id, user, device, issue time, expiry).
 *
 * <p>Two formats (docs/security.md), {@code b64} being unpadded base64url and the HMAC covering everything
 * before the last dot:
 * <ul>
 *   <li>{@code v2.<keyId>.<b64(user)>.<b64(device)>.<issuedAtEpochSeconds>.<expiryEpochSeconds>.<b64(hmac)>}:
 *   names the key that signed it, so that several keys can be valid at once during a rotation and an old one
 *   retired by removing it from the key ring; the issue time lets a revocation refuse the tokens issued before
 *   it ({@code insync.gateway.token-keys});
 *   <li>{@code v1.<b64(user)>.<b64(device)>.<expiryEpochSeconds>.<b64(hmac)>}: the original format, signed
 *   with the one {@code insync.gateway.token-secret}; accepted while that secret is configured.
 * </ul>
 * Instances are immutable and thread-safe.
 */
public final class TokenSigner {
  /** A well-known secret for local development only. */
  public static final String DEV_SECRET = "insync-dev-secret-change-me";

  private static final String VERSION = "v1";
  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  /** The key id a v1 token is reported with: it names none, the one token secret signed it. */
  public static final String V1_KEY_ID = "v1";
  private static final String VERSION_2 = "v2";
  /** A key id: 1 to 32 of {@code A-Z a-z 0-9 _ -} (it sits between dots in the token). */
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
  /** How far in the future a token's issue time may be (clocks of issuers and gateways differ). */
  static final long MAX_CLOCK_SKEW_SECONDS = 300;

  /**
   * What a valid token says: who, which device, until when; which key signed it ({@value #V1_KEY_ID} for a
   * v1 token) and when it was issued ({@link Instant#EPOCH} for a v1 token, which does not say).
   */
  public record Claims(String user, String device, Instant expiresAt, String keyId, Instant issuedAt) {
    /** Checks that no component is null. */
    public Claims {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(device, "device");
      Objects.requireNonNull(expiresAt, "expiresAt");
      Objects.requireNonNull(keyId, "keyId");
      Objects.requireNonNull(issuedAt, "issuedAt");
    }

    /** The claims of a v1 token. */
    public Claims(String user, String device, Instant expiresAt) {
      this(user, device, expiresAt, V1_KEY_ID, Instant.EPOCH);
    }
  }

  /** The v1 secret, or null when v1 tokens are not accepted. */
  private final SecretKeySpec key;
  /** The v2 keys by id (in the order given). */
  private final Map<String, SecretKeySpec> keys;
  /** The id of the key {@link #sign} uses; null: it signs v1 tokens with {@link #key}. */
  private final String signingKeyId;

  /** A signer with the given secret (copied); the secret must not be empty. Signs and accepts v1 tokens. */
  public TokenSigner(byte[] secret) {
    this(spec(secret), Map.of(), null);
  }

  private TokenSigner(SecretKeySpec v1, Map<String, SecretKeySpec> keys, String signingKeyId) {
    this.key = v1;
    this.keys = keys;
    this.signingKeyId = signingKeyId;
  }

  private static SecretKeySpec spec(byte[] secret) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length == 0) {
      throw new IllegalArgumentException("secret is empty");
    }
    return new SecretKeySpec(secret.clone(), ALGORITHM);
  }

  /** A signer whose secret is the UTF-8 bytes of {@code secret}. */
  public static TokenSigner fromSecret(String secret) {
    return new TokenSigner(Objects.requireNonNull(secret, "secret").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A key ring: v2 tokens signed with any of {@code keys} (key id to secret, UTF-8) are accepted, {@link #sign}
   * uses {@code signingKeyId} (null or empty: the first key; with no keys, v1 with {@code v1Secret}), and v1
   * tokens are accepted if {@code v1Secret} is not null nor empty.
   *
   * @throws IllegalArgumentException for a malformed key id, an empty secret, a signing key not in the ring, or
   *     neither keys nor a v1 secret
   */
  public static TokenSigner keyRing(Map<String, String> keys, String signingKeyId, String v1Secret) {
    Map<String, SecretKeySpec> ring = new LinkedHashMap<>();
    keys.forEach((id, secret) -> {
      if (!KEY_ID.matcher(id).matches()) {
        throw new IllegalArgumentException("key id '" + id + "' must be 1 to 32 of A-Z a-z 0-9 _ -");
      }
      if (secret == null || secret.isEmpty()) throw new IllegalArgumentException("key " + id + " has an empty secret");
      ring.put(id, new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM));
    });
    SecretKeySpec v1 = v1Secret == null || v1Secret.isEmpty() ? null : spec(v1Secret.getBytes(StandardCharsets.UTF_8));
    if (ring.isEmpty() && v1 == null) throw new IllegalArgumentException("no token key: give a key or a v1 secret");
    String signing = signingKeyId == null || signingKeyId.isEmpty()
        ? ring.keySet().stream().findFirst().orElse(null) : signingKeyId;
    if (signing != null && !ring.containsKey(signing)) {
      throw new IllegalArgumentException("the signing key '" + signing + "' is not among the keys " + ring.keySet());
    }
    // in the order given (Map.copyOf would iterate in a per-JVM random order): keyIds() and the admin views list them so
    return new TokenSigner(v1, java.util.Collections.unmodifiableMap(ring), signing);
  }

  /**
   * {@code id=secret,id=secret} (as {@code INSYNC_TOKEN_KEYS} gives it) as key id to secret, in order; blank
   * is none. A secret may contain {@code =} but not {@code ,}.
   *
   * @throws IllegalArgumentException for an entry without {@code =} or a key id given twice
   */
  public static Map<String, String> parseKeys(String spec) {
    Map<String, String> out = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) return out;
    for (String entry : spec.split(",")) {
      if (entry.isBlank()) continue;
      int eq = entry.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("a token key is id=secret (got '" + entry.strip().replaceAll("=.*", "=…") + "')");
      String id = entry.substring(0, eq).strip();
      if (out.put(id, entry.substring(eq + 1).strip()) != null) {
        throw new IllegalArgumentException("token key id '" + id + "' is given twice");
      }
    }
    return out;
  }

  /** The key ids accepted in v2 tokens, in the order given, and {@value #V1_KEY_ID} if v1 tokens are. */
  public java.util.List<String> keyIds() {
    java.util.List<String> out = new java.util.ArrayList<>(keys.keySet());
    if (key != null) out.add(V1_KEY_ID);
    return out;
  }

  /**
   * Issues a token.
   *
   * @throws IllegalArgumentException if the user or device id is not valid (see {@link Ids})
   */
  public String sign(String user, String device, Instant expiresAt) {
    return sign(user, device, Instant.now(), expiresAt);
  }

  /**
   * Issues a token issued at {@code issuedAt} (a v1 token, signed when the ring has no key, does not carry
   * it).
   *
   * @throws IllegalArgumentException if the user or device id is not valid (see {@link Ids})
   */
  public String sign(String user, String device, Instant issuedAt, Instant expiresAt) {
    Ids.requireUserId(user);
    Ids.requireDeviceId(device);
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(issuedAt, "issuedAt");
    if (expiresAt.getEpochSecond() < 0 || issuedAt.getEpochSecond() < 0) {
      throw new IllegalArgumentException("expiresAt or issuedAt is before the epoch");
    }
    if (signingKeyId == null) {
      String payload = VERSION + '.' + b64(user) + '.' + b64(device) + '.' + expiresAt.getEpochSecond();
      return payload + '.' + B64.encodeToString(mac(key, payload));
    }
    String payload = VERSION_2 + '.' + signingKeyId + '.' + b64(user) + '.' + b64(device) + '.'
        + issuedAt.getEpochSecond() + '.' + expiresAt.getEpochSecond();
    return payload + '.' + B64.encodeToString(mac(keys.get(signingKeyId), payload));
  }

  /**
   * Checks a token's form, signature (in constant time), ids and expiry, in that order.
   *
   * @throws InvalidTokenException with reason "malformed", "unknown key" (a key id not in the ring: retired,
   *     or never known; for a v1 token, v1 tokens not accepted), "bad signature", "invalid user id", "invalid
   *     device id", "issued in the future" or "expired"
   */
  public Claims verify(String token, Instant now) throws InvalidTokenException {
    Objects.requireNonNull(now, "now");
    if (token == null || token.length() > 1024) {
      throw new InvalidTokenException("malformed");
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length == 7 && VERSION_2.equals(parts[0])) {
      return verifyV2(token, parts, now);
    }
    if (parts.length != 5 || !VERSION.equals(parts[0])) {
      throw new InvalidTokenException("malformed");
    }
    byte[] signature = decode(parts[4]);
    long expiry = parseEpochSeconds(parts[3]);
    byte[] userBytes = decode(parts[1]);
    byte[] deviceBytes = decode(parts[2]);
    if (key == null) {
      throw new InvalidTokenException("unknown key");
    }

    return claims(token, key, signature, userBytes, deviceBytes, 0, expiry, now, V1_KEY_ID);
  }

  /** The rest of a check once the token is parsed and its key found: signature, ids, issue time, expiry. */
  private static Claims claims(String token, SecretKeySpec k, byte[] signature, byte[] userBytes, byte[] deviceBytes,
      long issued, long expiry, Instant now, String keyId) throws InvalidTokenException {
    String signed = token.substring(0, token.lastIndexOf('.'));
    if (!MessageDigest.isEqual(mac(k, signed), signature)) {
      throw new InvalidTokenException("bad signature");
    }
    String user = new String(userBytes, StandardCharsets.UTF_8);
    if (!Ids.isValidUserId(user)) {
      throw new InvalidTokenException("invalid user id");
    }
    String device = new String(deviceBytes, StandardCharsets.UTF_8);
    if (!Ids.isValidDeviceId(device)) {
      throw new InvalidTokenException("invalid device id");
    }
    if (issued > now.getEpochSecond() + MAX_CLOCK_SKEW_SECONDS) {
      throw new InvalidTokenException("issued in the future");
    }
    Instant expiresAt = Instant.ofEpochSecond(expiry);
    if (!now.isBefore(expiresAt)) {
      throw new InvalidTokenException("expired");
    }
    return new Claims(user, device, expiresAt, keyId, Instant.ofEpochSecond(issued));
  }

  private Claims verifyV2(String token, String[] parts, Instant now) throws InvalidTokenException {
    String keyId = parts[1];
    if (!KEY_ID.matcher(keyId).matches()) {
      throw new InvalidTokenException("malformed");
    }
    byte[] userBytes = decode(parts[2]);
    byte[] deviceBytes = decode(parts[3]);
    long issued = parseEpochSeconds(parts[4]);
    long expiry = parseEpochSeconds(parts[5]);
    byte[] signature = decode(parts[6]);
    SecretKeySpec k = keys.get(keyId);
    if (k == null) {
      throw new InvalidTokenException("unknown key");
    }
    return claims(token, k, signature, userBytes, deviceBytes, issued, expiry, now, keyId);
  }

  private static String b64(String s) {
    return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Strict, canonical, unpadded base64url: rejects '=', '+', '/' and other characters. */
  private static byte[] decode(String s) throws InvalidTokenException {
    if (s.isEmpty()) {
      throw new InvalidTokenException("malformed");
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_';
      if (!ok) {
        throw new InvalidTokenException("malformed");
      }
    }
    byte[] bytes;
    try {
      bytes = B64D.decode(s);
    } catch (IllegalArgumentException e) {
      throw new InvalidTokenException("malformed");
    }
    // only the canonical encoding is accepted, so a token has exactly one spelling
    if (!B64.encodeToString(bytes).equals(s)) {
      throw new InvalidTokenException("malformed");
    }
    return bytes;
  }

  private static long parseEpochSeconds(String s) throws InvalidTokenException {
    if (s.isEmpty() || s.length() > 18) {
      throw new InvalidTokenException("malformed");
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        throw new InvalidTokenException("malformed");
      }
    }
    return Long.parseLong(s);
  }

  private static byte[] mac(SecretKeySpec key, String payload) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
