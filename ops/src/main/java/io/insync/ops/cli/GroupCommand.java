package io.insync.ops.cli;

import io.insync.client.ClientListener;
import io.insync.client.InsyncClient;
import io.insync.client.ServerErrorException;
import io.insync.core.codec.Envelopes;
import io.insync.protocol.GroupEventType;
import io.insync.protocol.GroupInfo;
import io.insync.protocol.SendAck;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/insync group create|add|remove|leave|members|send}: groups through the SDK. Each
 * connects as {@code --user} (device {@code --device}), makes one request, prints its answer, and
 * exits 1 with the server's {@code Error} code and reason on stderr when the request is refused.
 */
@Command(name = "group", mixinStandardHelpOptions = true,
    description = "Create a group, change its membership, list its members, post to it.",
    subcommands = {GroupCommand.Create.class, GroupCommand.Add.class, GroupCommand.Remove.class,
        GroupCommand.Leave.class, GroupCommand.Members.class, GroupCommand.Send.class})
final class GroupCommand implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** What every group subcommand shares: who acts, from which device, and the request's outcome. */
  abstract static class GroupClientCommand extends ClientCommands implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--device", defaultValue = "cli", description = "(default ${DEFAULT-VALUE})") String device;

    /** The acting user. */
    abstract String user();

    /** The request, on a connected client. */
    abstract Integer request(InsyncClient client) throws Exception;

    @Override
    public final Integer call() throws Exception {
      try (InsyncClient client = client(user(), device, false, ClientListener.NOOP)) {
        await(client.connect(), timeout);
        return request(client);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof ServerErrorException refused) {
          // "FORBIDDEN: not a member of g1": the code first, so scripts can match it
          String reason = refused.error().getReason();
          System.err.println("insync group " + spec.name() + ": " + refused.code() + (reason.isEmpty() ? "" : ": " + reason));
          return 1;
        }
        throw e;
      }
    }

    <T> T get(CompletableFuture<T> f) throws Exception {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A membership change by this user; prints the group as it is afterwards. */
    Integer change(InsyncClient client, String group, GroupEventType type, List<String> members) throws Exception {
      System.out.println(Json.group(get(client.changeGroup(group, type, members))));
      return 0;
    }
  }

  /** A request by --user (required). */
  abstract static class ActingCommand extends GroupClientCommand {
    @Option(names = "--user", required = true, description = "who acts: the owner of a new group, the member who "
        + "changes or posts") String user;

    @Override
    String user() {
      return user;
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a group owned by --user; print it as one JSON line "
          + "{\"group\":…,\"name\":…,\"owner\":…,\"admins\":[…],\"members\":[…],\"last_seq\":…}.")
  static final class Create extends ActingCommand {
    @Option(names = "--name", required = true) String name;

    @Option(names = "--members", split = ",", paramLabel = "A,B,...", description = "members besides the owner")
    List<String> members = List.of();

    @Option(names = "--group", description = "the group's id (default: a random one); creating it again is answered "
        + "with the group as it is") String group;

    @Override
    Integer request(InsyncClient client) throws Exception {
      String id = group != null ? group : "g-" + UUID.randomUUID();
      System.out.println(Json.group(get(client.createGroup(id, name, members))));
      return 0;
    }
  }

  /** A request by --user about --group. */
  abstract static class InGroupCommand extends ActingCommand {
    @Option(names = "--group", required = true) String group;
  }

  /** A change naming members: add or remove. */
  abstract static class MemberChange extends InGroupCommand {
    @Option(names = "--member", required = true, split = ",", paramLabel = "V[,W...]") List<String> member;

    private final GroupEventType type;

    MemberChange(GroupEventType type) {
      this.type = type;
    }

    @Override
    Integer request(InsyncClient client) throws Exception {
      return change(client, group, type, member);
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Add --member (the owner or an admin may); print the group as JSON.")
  static final class Add extends MemberChange {
    Add() {
      super(GroupEventType.GROUP_JOINED);
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Remove --member (the owner or an admin may; only the owner removes an admin); print the group as JSON.")
  static final class Remove extends MemberChange {
    Remove() {
      super(GroupEventType.GROUP_REMOVED);
    }
  }

  @Command(name = "leave", mixinStandardHelpOptions = true,
      description = "--user leaves the group (any member but the owner); print the group as JSON.")
  static final class Leave extends InGroupCommand {
    @Override
    Integer request(InsyncClient client) throws Exception {
      return change(client, group, GroupEventType.GROUP_LEFT, List.of());
    }
  }

  @Command(name = "members", mixinStandardHelpOptions = true,
      description = "Print the members, one a line as MEMBER<tab>ROLE (owner, admin or member), in the order "
          + "they joined; with --json the group as one JSON line. Only members may read a group.")
  static final class Members extends GroupClientCommand {
    @Option(names = "--user", description = "a member to read it as (default: $INSYNC_USER)") String user;

    @Option(names = "--group", required = true) String group;

    @Option(names = "--json", description = "the group as one JSON object") boolean json;

    @Override
    String user() {
      if (user != null) return user;
      String env = System.getenv("INSYNC_USER");
      if (env != null && !env.isEmpty()) return env;
      throw new IllegalArgumentException("give --user (or $INSYNC_USER): only a member may read a group");
    }

    @Override
    Integer request(InsyncClient client) throws Exception {
      GroupInfo info = get(client.groupInfo(group));
      if (json) {
        System.out.println(Json.group(info));
      } else {
        for (String m : info.getMembersList()) System.out.println(m + "\t" + role(info, m));
      }
      return 0;
    }

    static String role(GroupInfo info, String member) {
      if (member.equals(info.getOwner())) return "owner";
      return info.getAdminsList().contains(member) ? "admin" : "member";
    }
  }

  @Command(name = "send", mixinStandardHelpOptions = true,
      description = "Post to a group (members only); print the ack as one JSON line "
          + "{\"client_msg_id\":…,\"seq\":…,\"group\":…} (seq: the message's place in the group's log).")
  static final class Send extends InGroupCommand {
    @Option(names = "--text", required = true) String text;

    @Option(names = "--client-msg-id", description = "id of the message; reuse it to retry a post without "
        + "duplicating it (default: random)") String clientMsgId;

    @Override
    Integer request(InsyncClient client) throws Exception {
      String id = clientMsgId != null ? clientMsgId : UUID.randomUUID().toString();
      SendAck ack = get(client.sendToGroup(id, group, Envelopes.text(text)));
      System.out.println(Json.ack(ack));
      return 0;
    }
  }
}
