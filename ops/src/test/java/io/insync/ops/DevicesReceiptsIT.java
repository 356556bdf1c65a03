package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.client.ServerErrorException;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.DeviceInfo;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.GroupReceipts;
import io.insync.protocol.Item;
import io.insync.protocol.ItemKind;
import io.insync.protocol.ReceiptCount;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Several devices per user, device removal, the login policies and receipts (1:1, and aggregated
 * in a group of 50), against real node processes and the real Cassandra.
 */
@ExtendWith(CassandraExtension.class)
class DevicesReceiptsIT {
  static final Duration WAIT = Duration.ofSeconds(60);

  static String cassandra() {
    return CassandraExtension.host() + ":" + CassandraExtension.port();
  }

  static String run() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void aMessageReachesEveryDeviceAndARemovedDeviceIsClosedAndRefused() throws Exception {
    String run = run();
    String alice = "alice-" + run, bob = "bob-" + run;
    NodeProcess node = new NodeProcess(cassandra(), "devices").start();
    int port = node.tcpPort();
    try (TestDevice phone = new TestDevice(alice, "phone", "phone", port).connect();
         TestDevice pc = new TestDevice(alice, "pc", "desktop", port).connect();
         TestDevice bobPhone = new TestDevice(bob, "phone", "phone", port).connect()) {
      SendAck ack = phone.client.send("m1", bob, Envelopes.text("hello from the phone")).get(30, TimeUnit.SECONDS);
      // the sender's own copy is in every device of the sender; the recipient has it too
      Item onPc = awaitItem(pc, i -> i.getClientMsgId().equals("m1"));
      assertEquals(ack.getSeq(), onPc.getSeq());
      assertEquals("phone", onPc.getFromDevice());
      awaitItem(phone, i -> i.getClientMsgId().equals("m1"));
      awaitItem(bobPhone, i -> i.getClientMsgId().equals("m1"));
      // the (default) "any" policy keeps both of alice's devices online
      List<DeviceInfo> devices = phone.client.listDevices().get(30, TimeUnit.SECONDS);
      assertEquals(List.of("phone", "pc"), devices.stream().map(DeviceInfo::getDevice).toList());
      assertEquals(List.of("phone", "desktop"), devices.stream().map(DeviceInfo::getPlatform).toList());
      assertTrue(devices.stream().allMatch(DeviceInfo::getOnline), devices.toString());

      assertEquals(ErrorCode.NOT_FOUND, code(phone.client.removeDevice("tv")));
      phone.client.removeDevice("pc").get(30, TimeUnit.SECONDS);
      pc.awaitError(ErrorCode.AUTH_FAILED, WAIT);
      awaitTrue(() -> !pc.client.isConnected(), "the removed device's session is closed");
      assertEquals(List.of("phone"), phone.client.listDevices().get(30, TimeUnit.SECONDS).stream()
          .map(DeviceInfo::getDevice).toList());
      // its token is refused from then on (a new client with the same token: AUTH_FAILED at Auth)
      try (TestDevice again = new TestDevice(alice, "pc", "desktop", port)) {
        ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
            () -> again.client.connect().get(30, TimeUnit.SECONDS));
        assertEquals(ErrorCode.AUTH_FAILED, ((ServerErrorException) refused.getCause()).code(), refused.toString());
      }
      // the remaining device goes on
      phone.client.send("m2", bob, Envelopes.text("still here")).get(30, TimeUnit.SECONDS);
      awaitItem(bobPhone, i -> i.getClientMsgId().equals("m2"));
    } finally {
      node.close();
    }
  }

  @Test
  void loginPoliciesOnePerPlatformAndOneDevice() throws Exception {
    String run = run();
    NodeProcess perPlatform = new NodeProcess(cassandra(), "policy-platform")
        .withJvmArgs("-Dinsync.user.login-policy=one-per-platform").start();
    try {
      int port = perPlatform.tcpPort();
      String carol = "carol-" + run;
      try (TestDevice phone1 = new TestDevice(carol, "phone1", "phone", port).connect();
           TestDevice desktop = new TestDevice(carol, "desk", "desktop", port).connect();
           TestDevice phone2 = new TestDevice(carol, "phone2", "phone", port).connect()) {
        assertTrue(phone1.awaitError(ErrorCode.LOGGED_IN_ELSEWHERE, WAIT).getReason().contains("phone2"));
        awaitTrue(() -> !phone1.client.isConnected(), "the old phone is logged out");
        assertTrue(desktop.client.isConnected(), "another platform stays");
        assertTrue(phone2.client.isConnected());
        assertFalse(desktop.errors().stream().anyMatch(e -> e.getCode() == ErrorCode.LOGGED_IN_ELSEWHERE));
        List<String> online = phone2.client.listDevices().get(30, TimeUnit.SECONDS).stream()
            .filter(DeviceInfo::getOnline).map(DeviceInfo::getDevice).toList();
        assertEquals(List.of("desk", "phone2"), online);
      }
    } finally {
      perPlatform.close();
    }
    NodeProcess oneDevice = new NodeProcess(cassandra(), "policy-one")
        .withJvmArgs("-Dinsync.user.login-policy=one-device").start();
    try {
      int port = oneDevice.tcpPort();
      String dan = "dan-" + run;
      try (TestDevice phone = new TestDevice(dan, "phone", "phone", port).connect();
           TestDevice web = new TestDevice(dan, "web", "web", port).connect()) {
        phone.awaitError(ErrorCode.LOGGED_IN_ELSEWHERE, WAIT);
        awaitTrue(() -> !phone.client.isConnected(), "every other device is logged out");
        assertTrue(web.client.isConnected());
        // the logged-out SDK does not reconnect by itself (it would log the other one out in turn)
        Thread.sleep(1500); // longer than the client's reconnect backoff (1 s at most here)
        assertFalse(phone.client.isConnected());
        assertTrue(web.client.isConnected());
      }
    } finally {
      oneDevice.close();
    }
  }

  @Test
  void receiptsOneToOneAndAggregatedInAGroupOfFifty() throws Exception {
    String run = run();
    String alice = "ra-" + run, bob = "rb-" + run;
    NodeProcess node = new NodeProcess(cassandra(), "receipts")
        .withJvmArgs("-Dinsync.user.delivery-receipts=on", "-Dinsync.group.receipt-flush=200ms").start();
    int port = node.tcpPort();
    List<TestDevice> members = new ArrayList<>();
    try (TestDevice a = new TestDevice(alice, "phone", "phone", port).connect();
         TestDevice b = new TestDevice(bob, "phone", "phone", port).connect()) {
      // 1:1: bob's device syncs and acks (the SDK does) -> a DELIVERY_RECEIPT in alice's inbox
      SendAck sent = a.client.send("hi", bob, Envelopes.text("hi bob")).get(30, TimeUnit.SECONDS);
      Item delivered = awaitItem(a, i -> i.getKind() == ItemKind.DELIVERY_RECEIPT);
      assertEquals(bob, delivered.getFrom());
      assertEquals(sent.getSeq(), delivered.getReceiptUpTo());
      Item atBob = awaitItem(b, i -> i.getClientMsgId().equals("hi"));
      b.client.markRead(alice, atBob.getSeq()).get(30, TimeUnit.SECONDS);
      Item read = awaitItem(a, i -> i.getKind() == ItemKind.READ_RECEIPT);
      assertEquals(bob, read.getFrom());
      assertEquals(sent.getSeq(), read.getReceiptUpTo());
      // a filtered sync: alice's conversation with bob, and only its read receipts
      SyncResult withBob = a.client.sync(0, 0, bob, null, null).get(30, TimeUnit.SECONDS);
      assertTrue(withBob.getItemsList().stream().allMatch(i -> i.getFrom().equals(bob) || i.getTo().equals(bob)));
      assertEquals(3, withBob.getItemsCount(), "the message and its two receipts: " + withBob.getItemsList());
      SyncResult reads = a.client.sync(0, 0, null, null, ItemKind.READ_RECEIPT).get(30, TimeUnit.SECONDS);
      assertEquals(List.of(read.getSeq()), reads.getItemsList().stream().map(Item::getSeq).toList());

      // a group of 50: alice and 49 members, all online (their SDKs ack what they get)
      String group = "rg-" + run;
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 49; i++) ids.add("rm" + i + "-" + run);
      for (String id : ids) members.add(new TestDevice(id, "phone", "phone", port).connect());
      a.client.createGroup(group, "fifty", ids).get(30, TimeUnit.SECONDS);
      SendAck post = a.client.sendToGroup("g1", group, Envelopes.text("to all")).get(30, TimeUnit.SECONDS);
      // half of them read it
      for (int i = 0; i < 25; i++) {
        TestDevice m = members.get(i);
        Item got = awaitItem(m, it -> it.getClientMsgId().equals("g1"));
        m.client.markGroupRead(group, got.getSeq()).get(30, TimeUnit.SECONDS);
      }
      for (TestDevice m : members.subList(25, 49)) awaitItem(m, it -> it.getClientMsgId().equals("g1"));
      // alice's inbox gets GROUP_RECEIPT items (each with the counts that moved) until all are in
      ReceiptCount expected = ReceiptCount.newBuilder().setGroupSeq(post.getSeq()).setDelivered(49).setRead(25)
          .setRecipients(49).build();
      Item counted = awaitItem(a, i -> i.getKind() == ItemKind.GROUP_RECEIPT && i.getReceiptCountsList().contains(expected));
      assertEquals(group, counted.getGroup());
      long groupReceiptItems = a.items().stream().filter(i -> i.getKind() == ItemKind.GROUP_RECEIPT).count();
      assertTrue(groupReceiptItems < 49 + 25, "aggregated, not one item per member: " + groupReceiptItems);
      GroupReceipts who = a.client.groupReceipts(group, post.getSeq()).get(30, TimeUnit.SECONDS);
      assertEquals(49, who.getRecipients());
      assertEquals(49, who.getDeliveredCount());
      assertEquals(25, who.getReadCount());
      assertEquals(ids.subList(0, 25).stream().sorted().toList(), who.getReadList().stream().sorted().toList());
      assertEquals(ErrorCode.FORBIDDEN, code(members.get(0).client.groupReceipts(group, post.getSeq())));
      System.out.println("RECEIPTS group of 50: " + groupReceiptItems + " GROUP_RECEIPT items in the sender's inbox "
          + "for 49 deliveries and 25 reads");
    } finally {
      members.forEach(TestDevice::close);
      node.close();
    }
  }

  /** The first item the device was given that matches, once it has arrived. */
  static Item awaitItem(TestDevice d, Predicate<Item> match) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      for (Item i : d.items()) if (match.test(i)) return i;
      Thread.sleep(20);
    }
    throw new AssertionError(d.user + "/" + d.device + " never got the item; it has " + d.items());
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("never: " + what);
      Thread.sleep(20);
    }
  }

  static ErrorCode code(CompletableFuture<?> f) throws Exception {
    try {
      f.get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected a refusal");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ServerErrorException s) return s.code();
      throw e;
    }
  }
}
