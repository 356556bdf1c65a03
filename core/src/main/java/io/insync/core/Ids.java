package io.insync.core;

import java.util.regex.Pattern;

/**
 * Rules for user and device ids: 1 to 64 characters from {@code A-Z a-z 0-9 . _ @ -}.
 */
public final class Ids {
  /** The pattern every user id and device id matches. */
  public static final Pattern ID_PATTERN = Pattern.compile("^[A-Za-z0-9._@-]{1,64}$");

  private Ids() {}

  /** True if {@code id} is a valid user id. */
  public static boolean isValidUserId(String id) {
    return id != null && ID_PATTERN.matcher(id).matches();
  }

  /** True if {@code id} is a valid device id. */
  public static boolean isValidDeviceId(String id) {
    return id != null && ID_PATTERN.matcher(id).matches();
  }

  /**
   * Returns {@code id} if it is a valid user id.
   *
   * @throws IllegalArgumentException saying why it is not
   */
  public static String requireUserId(String id) {
    return require(id, "user id");
  }

  /**
   * Returns {@code id} if it is a valid device id.
   *
   * @throws IllegalArgumentException saying why it is not
   */
  public static String requireDeviceId(String id) {
    return require(id, "device id");
  }

  private static String require(String id, String what) {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    if (id.length() > 64) {
      throw new IllegalArgumentException(what + " is longer than 64 characters");
    }
    if (!ID_PATTERN.matcher(id).matches()) {
      throw new IllegalArgumentException(
          what + " may only contain A-Z, a-z, 0-9, '.', '_', '@' and '-'");
    }
    return id;
  }
}
