package io.insync.ops;

import io.insync.protocol.Item;
import io.insync.protocol.SyncResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Reads whole inboxes page by page and checks them, for integration tests. */
final class Inboxes {
  private Inboxes() {}

  /** Every item of the device's user from key 0, through as many pages as it takes. */
  static List<Item> readAll(TestDevice reader, List<Integer> pageSizes) throws Exception {
    List<Item> inbox = new ArrayList<>();
    long key = 0;
    while (true) {
      SyncResult r = reader.client.sync(key, 0).get(30, TimeUnit.SECONDS);
      inbox.addAll(r.getItemsList());
      if (pageSizes != null) pageSizes.add(r.getItemsCount());
      key = r.getSyncKey();
      if (!r.getHasMore()) break;
    }
    return inbox;
  }

  /**
   * A connected device; retries the first connect while the node is still joining (issue 5
   * item 7: a node may accept clients before its shards are allocated; fixed elsewhere).
   */
  static TestDevice connect(String user, String device, int... ports) throws Exception {
    Exception last = null;
    for (int attempt = 0; attempt < 10; attempt++) {
      TestDevice d = new TestDevice(user, device, ports);
      try {
        return d.connect();
      } catch (Exception e) {
        last = e;
        d.close();
        Thread.sleep(500);
      }
    }
    throw last;
  }

  /** How often each client_msg_id occurs. */
  static Map<String, Integer> copies(List<Item> inbox) {
    Map<String, Integer> copies = new HashMap<>();
    for (Item it : inbox) copies.merge(it.getClientMsgId(), 1, Integer::sum);
    return copies;
  }
}
