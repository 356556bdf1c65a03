package io.insync.core.auth;

import io.insync.core.Ids;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies insync auth tokens: HMAC-SHA256 over (user, device, expiry).
 *
 * <p>Format: {@code v1.<b64(user)>.<b64(device)>.<expiryEpochSeconds>.<b64(hmac)>}, where
 * {@code b64} is unpadded base64url and the HMAC covers everything before the last dot.
 * Instances are immutable and thread-safe.
 */
public final class TokenSigner {
  /** A well-known secret for local development only. */
  public static final String DEV_SECRET = "insync-dev-secret-change-me";

  private static final String VERSION = "v1";
  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  /** What a valid token says. */
  public record Claims(String user, String device, Instant expiresAt) {
    /** Checks that no component is null. */
    public Claims {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(device, "device");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }

  private final SecretKeySpec key;

  /** A signer with the given secret (copied); the secret must not be empty. */
  public TokenSigner(byte[] secret) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length == 0) {
      throw new IllegalArgumentException("secret is empty");
    }
    this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
  }

  /** A signer whose secret is the UTF-8 bytes of {@code secret}. */
  public static TokenSigner fromSecret(String secret) {
    return new TokenSigner(Objects.requireNonNull(secret, "secret").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Issues a token.
   *
   * @throws IllegalArgumentException if the user or device id is not valid (see {@link Ids})
   */
  public String sign(String user, String device, Instant expiresAt) {
    Ids.requireUserId(user);
    Ids.requireDeviceId(device);
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (expiresAt.getEpochSecond() < 0) {
      throw new IllegalArgumentException("expiresAt is before the epoch");
    }
    String payload = VERSION + '.' + b64(user) + '.' + b64(device) + '.' + expiresAt.getEpochSecond();
    return payload + '.' + B64.encodeToString(mac(payload));
  }

  /**
   * Checks a token's form, signature (in constant time), ids and expiry, in that order.
   *
   * @throws InvalidTokenException with reason "malformed", "bad signature", "invalid user id",
   *     "invalid device id" or "expired"
   */
  public Claims verify(String token, Instant now) throws InvalidTokenException {
    Objects.requireNonNull(now, "now");
    if (token == null || token.length() > 1024) {
      throw new InvalidTokenException("malformed");
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 5 || !VERSION.equals(parts[0])) {
      throw new InvalidTokenException("malformed");
    }
    byte[] signature = decode(parts[4]);
    long expiry = parseEpochSeconds(parts[3]);
    byte[] userBytes = decode(parts[1]);
    byte[] deviceBytes = decode(parts[2]);

    String signed = token.substring(0, token.lastIndexOf('.'));
    if (!MessageDigest.isEqual(mac(signed), signature)) {
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
    Instant expiresAt = Instant.ofEpochSecond(expiry);
    if (!now.isBefore(expiresAt)) {
      throw new InvalidTokenException("expired");
    }
    return new Claims(user, device, expiresAt);
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

  private byte[] mac(String payload) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
