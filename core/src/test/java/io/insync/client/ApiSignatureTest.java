package io.insync.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API of {@code io.insync.client} as recorded in {@value #RECORDED}: every public type
 * and its public and protected constructors, methods and fields, read by reflection from the
 * compiled classes. A change to it fails this test until the file is re-recorded, so that an
 * incompatible change (a removed or changed line) is made on purpose and shows in the review.
 */
class ApiSignatureTest {
  static final String RECORDED = "src/test/resources/api/io.insync.client.txt";
  static final String PACKAGE = InsyncClient.class.getPackageName();

  @Test
  void thePublicApiIsTheRecordedOne() throws Exception {
    List<String> current = signatures(publicTypes());
    assertFalse(current.isEmpty(), "found no public types in " + PACKAGE);
    Path file = moduleDir().resolve(RECORDED);
    if (Boolean.getBoolean("insync.api.record")) {
      Files.createDirectories(file.getParent());
      Files.write(file, current, StandardCharsets.UTF_8);
      System.out.println("recorded the API of " + PACKAGE + " in " + file);
      return;
    }
    List<String> recorded = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    if (recorded.equals(current)) return;
    fail(diff(recorded, current));
  }

  /** The lines only in the recording ("-": gone or changed, breaks callers) and only in the code ("+"). */
  static String diff(List<String> recorded, List<String> current) {
    Set<String> now = new LinkedHashSet<>(current);
    Set<String> before = new LinkedHashSet<>(recorded);
    StringBuilder b = new StringBuilder("the public API of " + PACKAGE + " differs from " + RECORDED + ":\n");
    recorded.stream().filter(l -> !now.contains(l)).forEach(l -> b.append("  - ").append(l).append('\n'));
    current.stream().filter(l -> !before.contains(l)).forEach(l -> b.append("  + ").append(l).append('\n'));
    b.append("A '-' line breaks code written against the old API. If the change is intended, re-record and "
        + "commit the file with it:\n  mvn -pl core test -Dtest=ApiSignatureTest -Dinsync.api.record=true\n");
    return b.toString();
  }

  /** Every class file of the package (not of subpackages), loaded, keeping the accessible ones. */
  static List<Class<?>> publicTypes() throws IOException, URISyntaxException, ClassNotFoundException {
    Path classes = Path.of(InsyncClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path dir = classes.resolve(PACKAGE.replace('.', '/'));
    List<Class<?>> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      // package-info carries no API of its own (its Javadoc says what is public)
      for (Path f : files.filter(p -> p.toString().endsWith(".class") && !p.endsWith("package-info.class"))
          .sorted().toList()) {
        String simple = f.getFileName().toString().replaceFirst("\\.class$", "");
        Class<?> c = Class.forName(PACKAGE + "." + simple, false, InsyncClient.class.getClassLoader());
        if (accessible(c)) out.add(c);
      }
    }
    return out;
  }

  /** Public, and (for a nested type) inside types that are public too; never anonymous or local. */
  static boolean accessible(Class<?> c) {
    for (Class<?> t = c; t != null; t = t.getDeclaringClass()) {
      if (!Modifier.isPublic(t.getModifiers()) || t.isAnonymousClass() || t.isLocalClass() || t.isSynthetic()) {
        return false;
      }
    }
    return true;
  }

  /** One line per type (with its supertypes) and per member callers can see, sorted. */
  static List<String> signatures(List<Class<?>> types) {
    Set<String> lines = new TreeSet<>();
    for (Class<?> c : types) {
      String name = c.getName();
      lines.add(name + ": " + typeLine(c));
      for (Constructor<?> k : c.getDeclaredConstructors()) {
        if (visible(k.getModifiers()) && !k.isSynthetic()) lines.add(name + ": " + k.toGenericString());
      }
      for (Method m : c.getDeclaredMethods()) {
        if (visible(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) lines.add(name + ": " + m.toGenericString());
      }
      for (Field f : c.getDeclaredFields()) {
        if (visible(f.getModifiers()) && !f.isSynthetic()) lines.add(name + ": " + f.toGenericString());
      }
    }
    return List.copyOf(lines);
  }

  /** What code outside the package can call or override. */
  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  private static String typeLine(Class<?> c) {
    StringBuilder b = new StringBuilder(c.toGenericString());
    Type sup = c.getGenericSuperclass();
    if (sup != null && sup != Object.class && !c.isInterface()) b.append(" extends ").append(sup.getTypeName());
    Type[] ifaces = c.getGenericInterfaces();
    if (ifaces.length > 0) {
      b.append(c.isInterface() ? " extends " : " implements ")
          .append(Arrays.stream(ifaces).map(Type::getTypeName).collect(Collectors.joining(", ")));
    }
    return b.toString();
  }

  /** The module's directory: Maven runs tests there (and says so in "basedir"). */
  private static Path moduleDir() {
    String basedir = System.getProperty("basedir");
    return basedir != null ? Path.of(basedir) : Path.of("").toAbsolutePath();
  }
}
