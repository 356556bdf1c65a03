package io.insync.kubernetes;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node's configuration as a node started by the manifests reads it: the {@code --config} file (the
 * ConfigMap's application.conf) over the image's application.conf and every module's reference.conf, taken
 * from ops' shaded jar (the jar the image runs), with {@code ${?INSYNC_...}} filled from the container's
 * environment and from nothing else (not this machine's).
 */
final class NodeConfig {
  private NodeConfig() {}

  static Path jar() {
    Path jar = Path.of(System.getProperty("insync.ops.jar", "../target/insync.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no node jar at " + jar.toAbsolutePath() + ": build ops first (mvn -B -pl ops/kubernetes -am verify)");
    }
    return jar;
  }

  static Config effective(Map<String, String> env, String configFile) {
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar().toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
      ConfigParseOptions opts = ConfigParseOptions.defaults().setClassLoader(loader);
      Config reference = ConfigFactory.parseResources(loader, "reference.conf", opts);
      Config application = ConfigFactory.parseResources(loader, "application.conf", opts);
      Config file = ConfigFactory.parseString(configFile);
      Config merged = file.withFallback(application).withFallback(reference);
      // the variables as keys at the root: a ${?INSYNC_X} finds them there before it would look at the environment
      return merged.withFallback(ConfigFactory.parseMap(env)).resolve(ConfigResolveOptions.noSystem());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every environment variable the node reads: the {@code ${?INSYNC_...}} of its configuration files and the
   * {@code INSYNC_...} names in insync's classes (picocli's {@code ${env:...}} defaults, System.getenv).
   */
  static Set<String> environmentVariablesRead() {
    Set<String> names = new TreeSet<>();
    Pattern conf = Pattern.compile("\\$\\{\\?(INSYNC_[A-Z0-9_]+)}");
    Pattern code = Pattern.compile("(INSYNC_[A-Z0-9_]+)");
    try (JarFile jar = new JarFile(jar().toFile())) {
      var entries = jar.entries();
      while (entries.hasMoreElements()) {
        var e = entries.nextElement();
        boolean isConf = e.getName().endsWith(".conf");
        boolean isOurs = e.getName().startsWith("io/insync/") && e.getName().endsWith(".class");
        if (!isConf && !isOurs) continue;
        String text = new String(jar.getInputStream(e).readAllBytes(), StandardCharsets.ISO_8859_1);
        Matcher m = (isConf ? conf : code).matcher(text);
        while (m.find()) names.add(m.group(1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }
}
