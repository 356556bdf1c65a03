package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.client.ServerErrorException;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.GroupEventType;
import io.insync.protocol.GroupInfo;
import io.insync.protocol.Item;
import io.insync.protocol.ItemKind;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Groups against a real node and the real Cassandra: a 500-member group's messages reach every
 * inbox exactly once in the group's order, also when the node is SIGKILLed in the middle of the
 * fan-out; membership rules through the protocol.
 */
@ExtendWith(CassandraExtension.class)
class GroupIT {
  static final int MEMBERS = 500;

  static String cassandra() {
    return CassandraExtension.host() + ":" + CassandraExtension.port();
  }

  static List<String> members(String run) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < MEMBERS; i++) out.add("m" + i + "-" + run);
    return out;
  }

  @Test
  void aFiveHundredMemberGroupSurvivesASigkillMidFanOut() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<String> all = members(run);
    String owner = all.get(0);
    String group = "g-" + run;
    int posts = 30;
    NodeProcess first = new NodeProcess(cassandra(), "group-1").start();
    int port = first.tcpPort();
    NodeProcess second = null;
    Map<String, SendAck> acked = new ConcurrentHashMap<>();
    int ackedAtKill;
    try (TestDevice o = Inboxes.connect(owner, "phone", port)) {
      GroupInfo info = o.client.createGroup(group, "five hundred", all.subList(1, all.size())).get(30, TimeUnit.SECONDS);
      assertEquals(MEMBERS, info.getMembersCount());
      assertEquals(owner, info.getOwner());
      List<CompletableFuture<SendAck>> futures = new ArrayList<>();
      for (int i = 0; i < posts; i++) {
        String id = "p" + i;
        futures.add(o.client.sendToGroup(id, group, Envelopes.text("post " + i)).whenComplete((ack, err) -> {
          if (ack != null) acked.put(id, ack);
        }));
      }
      // kill while the fan-out (30 x 500 inbox writes) is under way: once the first posts are logged
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acked.size() < 5 && System.nanoTime() < deadline) Thread.sleep(5);
      ackedAtKill = acked.size();
      assertTrue(ackedAtKill >= 5, "posts acked before the kill: " + ackedAtKill);
      first.kill();
      second = new NodeProcess(cassandra(), "group-2", port).start();
      for (CompletableFuture<SendAck> f : futures) f.get(120, TimeUnit.SECONDS);
      assertEquals(posts, acked.size(), "every post acked in the end (retried under its client_msg_id)");
      for (int i = 0; i < posts; i++) assertEquals(group, acked.get("p" + i).getGroup());

      // every member's inbox: the creation entry, then each post exactly once, in the group's order
      long checkUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      int incompleteAtFirstLook = 0;
      for (String m : all) {
        List<Item> items = groupItems(m, group, port, 1 + posts, checkUntil);
        if (items.size() < 1 + posts) incompleteAtFirstLook++;
        assertEquals(1 + posts, items.size(), m + " has the creation and every post once: " + items);
        assertEquals(ItemKind.GROUP_EVENT, items.get(0).getKind());
        assertEquals(GroupEventType.GROUP_CREATED, items.get(0).getGroupEvent().getType());
        for (int i = 1; i < items.size(); i++) {
          assertTrue(items.get(i).getGroupSeq() > items.get(i - 1).getGroupSeq(), m + ": group order " + items);
          assertEquals(owner, items.get(i).getFrom());
        }
        List<String> order = new ArrayList<>();
        for (Item it : items.subList(1, items.size())) order.add(it.getClientMsgId());
        List<String> bySeq = new ArrayList<>(acked.keySet());
        bySeq.sort((a, b) -> Long.compare(acked.get(a).getSeq(), acked.get(b).getSeq()));
        assertEquals(bySeq, order, m + " sees the posts in the group's order");
      }
      System.out.println("GROUP sigkill mid fan-out: " + MEMBERS + " members, " + posts + " posts, "
          + ackedAtKill + " acked at the kill; every inbox complete, once each, in group order");
    } finally {
      first.kill();
      if (second != null) second.close();
    }
  }

  /** The member's group items once it has {@code expect} of them (or the deadline passed). */
  static List<Item> groupItems(String member, String group, int port, int expect, long deadlineNanos) throws Exception {
    try (TestDevice d = new TestDevice(member, "reader", port).connect()) {
      while (true) {
        List<Item> items = new ArrayList<>();
        long key = 0;
        while (true) {
          SyncResult r = d.client.sync(key, 0).get(30, TimeUnit.SECONDS);
          for (Item it : r.getItemsList()) {
            boolean entry = it.getKind() == ItemKind.MESSAGE || it.getKind() == ItemKind.GROUP_EVENT; // not receipts
            if (entry && it.getGroup().equals(group)) items.add(it);
          }
          key = r.getSyncKey();
          if (!r.getHasMore()) break;
        }
        if (items.size() >= expect || System.nanoTime() > deadlineNanos) return items;
        Thread.sleep(200);
      }
    }
  }

  @Test
  void membershipThroughTheProtocol() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String ann = "ann-" + run, bob = "bob-" + run, cy = "cy-" + run, eve = "eve-" + run;
    String group = "g2-" + run;
    NodeProcess node = new NodeProcess(cassandra(), "group-rules").start();
    int port = node.tcpPort();
    try (TestDevice a = Inboxes.connect(ann, "phone", port); TestDevice b = Inboxes.connect(bob, "phone", port);
         TestDevice e = Inboxes.connect(eve, "phone", port)) {
      a.client.createGroup(group, "rules", List.of(bob, cy)).get(30, TimeUnit.SECONDS);
      // a non-member may not post, nor read the membership; a member may not add
      assertEquals(ErrorCode.FORBIDDEN, code(e.client.sendToGroup(group, Envelopes.text("let me in"))));
      assertEquals(ErrorCode.FORBIDDEN, code(e.client.groupInfo(group)));
      assertEquals(ErrorCode.FORBIDDEN, code(b.client.changeGroup(group, GroupEventType.GROUP_JOINED, List.of(eve))));
      assertEquals(ErrorCode.NOT_FOUND, code(b.client.sendToGroup("nope-" + run, Envelopes.text("x"))));
      // the owner removes bob; bob gets its removal, then nothing more
      a.client.sendToGroup("before", group, Envelopes.text("before")).get(30, TimeUnit.SECONDS);
      GroupInfo after = a.client.changeGroup(group, GroupEventType.GROUP_REMOVED, List.of(bob)).get(30, TimeUnit.SECONDS);
      assertEquals(List.of(ann, cy), after.getMembersList());
      a.client.sendToGroup("after", group, Envelopes.text("after")).get(30, TimeUnit.SECONDS);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      List<Item> cyItems = groupItems(cy, group, port, 4, until);
      assertEquals(List.of("", "before", "", "after"), cyItems.stream().map(Item::getClientMsgId).toList());
      List<Item> bobItems = groupItems(bob, group, port, 3, until);
      assertEquals(3, bobItems.size(), "created, before, its removal: " + bobItems);
      assertEquals(GroupEventType.GROUP_REMOVED, bobItems.get(2).getGroupEvent().getType());
      Thread.sleep(500); // "after" has reached cy (read above); give a wrong copy to bob time to land too
      assertEquals(3, groupItems(bob, group, port, 3, until).size(), "nothing after the removal");
      assertEquals(ErrorCode.FORBIDDEN, code(b.client.sendToGroup(group, Envelopes.text("still here?"))));
    } finally {
      node.close();
    }
  }

  static ErrorCode code(CompletableFuture<?> f) throws Exception {
    try {
      f.get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected a refusal");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof ServerErrorException s) return s.code();
      throw e;
    }
  }
}
