package io.insync.ops.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** Cluster bootstrap's settings as the shipped configuration gives them, and the ones that can never form a cluster. */
class BootstrapSettingsTest {
  static Config with(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve();
  }

  @Test
  void shippedDefaultsAreTheConfigMethodUnderServiceInsyncWithNoEndpoints() {
    Config c = with("");
    BootstrapSettings s = BootstrapSettings.of(c, "insync");
    assertEquals(new BootstrapSettings("config", "insync", 2), s);
    assertFalse(c.getBoolean("pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port"));
    String p = s.problem(c).orElseThrow();
    assertTrue(p.contains("lists 0 contact point(s)") && p.contains("pekko.discovery.config.services.\"insync\".endpoints"), p);
  }

  @Test
  void enoughEndpointsPass() {
    Config c = with("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr = 3\n"
        + "pekko.discovery.config.services.insync.endpoints = [{host = a, port = 1}, {host = b, port = 1}, {host = c}]");
    BootstrapSettings s = BootstrapSettings.of(c, "insync");
    assertEquals(3, s.requiredContactPoints());
    assertTrue(s.problem(c).isEmpty(), s.problem(c).toString());
  }

  @Test
  void fewerEndpointsThanRequiredFail() {
    Config c = with("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr = 3\n"
        + "pekko.discovery.config.services.insync.endpoints = [{host = a, port = 1}, {host = b, port = 1}]");
    assertTrue(BootstrapSettings.of(c, "insync").problem(c).orElseThrow().contains("lists 2 contact point(s)"));
  }

  @Test
  void serviceNameAndNamespaceAndEffectiveNameAsPekkoReadsThem() {
    String d = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    assertEquals("sys", BootstrapSettings.of(with(d + "service-name = \"<service-name>\""), "sys").serviceName());
    assertEquals("chat.prod", BootstrapSettings.of(with(d + "service-name = chat\n" + d + "service-namespace = prod"),
        "insync").serviceName());
    assertEquals("exact", BootstrapSettings.of(with(d + "effective-name = exact"), "insync").serviceName());
  }

  @Test
  void anUnknownMethodFailsAndOtherKnownMethodsNeedNoEndpointsHere() {
    String d = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    Config unknown = with(d + "discovery-method = consul");
    assertTrue(BootstrapSettings.of(unknown, "insync").problem(unknown).orElseThrow().contains("'consul' is not known"));
    // the node carries pekko-discovery-kubernetes-api (k8s/base bootstraps with it)
    Config kubernetes = with(d + "discovery-method = kubernetes-api");
    assertTrue(BootstrapSettings.of(kubernetes, "insync").problem(kubernetes).isEmpty());
    Config dns = with(d + "discovery-method = pekko-dns");
    assertTrue(BootstrapSettings.of(dns, "insync").problem(dns).isEmpty());
    // "pekko.discovery": the default method of pekko-discovery, which nobody set here
    Config dflt = with(d + "discovery-method = pekko.discovery");
    assertTrue(BootstrapSettings.of(dflt, "insync").problem(dflt).orElseThrow().contains("'<method>'"));
  }
}
