package io.insync.ops.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.ops.management.WriteAuthorization.Decision;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WriteAuthorizationTest {
  private static final WriteAuthorization AUTH = WriteAuthorization.withToken("s3cret-token");

  @ParameterizedTest
  @ValueSource(strings = {"GET", "HEAD", "get"})
  void readsNeedNoCredentialsEvenWithoutAToken(String method) {
    assertTrue(AUTH.decide(method, Optional.empty()).allowed());
    assertTrue(WriteAuthorization.withToken("").decide(method, Optional.empty()).allowed());
    assertTrue(AUTH.decide(method, Optional.of("Bearer wrong")).allowed(), "a read is not judged by its header");
  }

  @ParameterizedTest
  @ValueSource(strings = {"PUT", "POST", "DELETE", "PATCH", "OPTIONS", "put"})
  void everyOtherMethodIsAWrite(String method) {
    assertFalse(AUTH.decide(method, Optional.empty()).allowed());
    assertTrue(AUTH.decide(method, Optional.of("Bearer s3cret-token")).allowed());
  }

  @Test
  void noTokenConfiguredRefusesEveryWriteWith403() {
    for (String token : new String[] {null, "", "   "}) {
      WriteAuthorization none = WriteAuthorization.withToken(token);
      assertFalse(none.writesEnabled());
      for (Optional<String> header : java.util.List.of(Optional.<String>empty(), Optional.of("Bearer "),
          Optional.of("Bearer anything"))) {
        Decision d = none.decide("PUT", header);
        assertEquals(403, d.status());
        assertEquals("writes disabled: set insync.management.token", d.reason());
        assertTrue(d.challenge().isEmpty());
      }
    }
  }

  @Test
  void missingHeaderIs401WithABearerChallenge() {
    for (Optional<String> header : java.util.List.of(Optional.<String>empty(), Optional.of(""), Optional.of("  "))) {
      Decision d = AUTH.decide("DELETE", header);
      assertEquals(401, d.status());
      assertTrue(d.reason().startsWith("missing Authorization header"), d.reason());
      assertEquals(Optional.of("Bearer realm=\"insync-management\""), d.challenge());
    }
  }

  @Test
  void anotherSchemeIs401NamingIt() {
    Decision d = AUTH.decide("PUT", Optional.of("Basic dXNlcjpwYXNz"));
    assertEquals(401, d.status());
    assertTrue(d.reason().contains("'Basic'"), d.reason());
    assertEquals(Optional.of("Bearer realm=\"insync-management\", error=\"invalid_request\""), d.challenge());
    assertEquals(401, AUTH.decide("PUT", Optional.of("s3cret-token")).status(), "a bare token is not a scheme");
  }

  @Test
  void emptyBearerTokenIs401() {
    for (String h : new String[] {"Bearer", "Bearer ", "bearer    "}) {
      Decision d = AUTH.decide("PUT", Optional.of(h));
      assertEquals(401, d.status(), h);
      assertTrue(d.reason().startsWith("empty bearer token"), d.reason());
      assertTrue(d.challenge().isPresent());
    }
  }

  @Test
  void wrongTokenIs403() {
    for (String h : new String[] {"Bearer s3cret-tokeN", "Bearer s3cret-token2", "Bearer s3cret", "Bearer x"}) {
      Decision d = AUTH.decide("PUT", Optional.of(h));
      assertEquals(403, d.status(), h);
      assertEquals("wrong token", d.reason());
      assertTrue(d.challenge().isEmpty());
    }
  }

  @Test
  void rightTokenIsAllowedWhateverTheSchemeCaseAndSpacing() {
    for (String h : new String[] {"Bearer s3cret-token", "bearer s3cret-token", "BEARER   s3cret-token  "}) {
      assertTrue(AUTH.decide("PUT", Optional.of(h)).allowed(), h);
    }
  }
}
