package io.insync.ops.management;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may use a management route: reads (GET, HEAD) need nothing; every other method (PUT, POST,
 * DELETE, PATCH, ...) is a write and needs {@code Authorization: Bearer <insync.management.token>}.
 * Plain code (no HTTP library), so every case is tested without a server.
 *
 * <ul>
 *   <li>no token configured: every write is refused, 403 "writes disabled: set insync.management.token";</li>
 *   <li>no Authorization header, another scheme, or an empty bearer token: 401 with a
 *       {@code WWW-Authenticate: Bearer} challenge and the reason;</li>
 *   <li>a bearer token that is not the configured one: 403 with the reason (compared in constant time).</li>
 * </ul>
 */
public final class WriteAuthorization {
  /** The realm named in the {@code WWW-Authenticate} challenge. */
  public static final String REALM = "insync-management";

  /** What to do with one request: allow it, or answer {@code status} with {@code reason}. */
  public record Decision(boolean allowed, int status, String reason, Optional<String> challenge) {
    static final Decision ALLOW = new Decision(true, 200, "", Optional.empty());

    static Decision forbidden(String reason) {
      return new Decision(false, 403, reason, Optional.empty());
    }

    static Decision unauthorized(String reason, String challenge) {
      return new Decision(false, 401, reason, Optional.of(challenge));
    }
  }

  private final byte[] token; // null: writes disabled

  private WriteAuthorization(String token) {
    this.token = token == null || token.isBlank() ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  /** @param token the configured token; null or blank disables every write */
  public static WriteAuthorization withToken(String token) {
    return new WriteAuthorization(token);
  }

  public boolean writesEnabled() {
    return token != null;
  }

  /** True for the methods that only read (they need no credentials). */
  public static boolean isRead(String method) {
    String m = method.toUpperCase(Locale.ROOT);
    return m.equals("GET") || m.equals("HEAD");
  }

  /**
   * @param method        the request's HTTP method
   * @param authorization the value of its Authorization header, if it has one
   */
  public Decision decide(String method, Optional<String> authorization) {
    if (isRead(method)) return Decision.ALLOW;
    if (token == null) return Decision.forbidden("writes disabled: set insync.management.token");
    if (authorization.isEmpty() || authorization.get().isBlank()) {
      return Decision.unauthorized("missing Authorization header: send 'Authorization: Bearer <token>'",
          "Bearer realm=\"" + REALM + "\"");
    }
    String value = authorization.get().trim();
    int space = value.indexOf(' ');
    String scheme = space < 0 ? value : value.substring(0, space);
    if (!scheme.equalsIgnoreCase("Bearer")) {
      return Decision.unauthorized("unsupported Authorization scheme '" + scheme + "': send 'Authorization: Bearer <token>'",
          "Bearer realm=\"" + REALM + "\", error=\"invalid_request\"");
    }
    String given = space < 0 ? "" : value.substring(space + 1).trim();
    if (given.isEmpty()) {
      return Decision.unauthorized("empty bearer token: send 'Authorization: Bearer <token>'",
          "Bearer realm=\"" + REALM + "\", error=\"invalid_request\"");
    }
    if (!MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
      return Decision.forbidden("wrong token");
    }
    return Decision.ALLOW;
  }
}
