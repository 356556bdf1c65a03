package io.insync.cluster.flags;

import io.insync.persistence.ClusterMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One feature flag as every node holds it (a value of the replicated map, {@link FlagStore}): its audience and its
 * audit trail. A user is in the audience when not on the {@code deny} list and either on the {@code allow} list, in
 * one of the {@code sets}, or in one of the first {@code basisPoints} of the {@link Buckets} (100 basis points =
 * 1%). {@code guards} are the alert rules whose firing for this flag's segment rolls it back ({@link
 * FlagGuardian}). {@code audit} holds the latest changes, oldest first, at most {@code insync.flags.audit-size}.
 *
 * <p>SETs are not built yet (users have no SET until the multi-IDC issue): {@code sets} is kept and shown, but
 * matches nobody today (a user's SET is {@link Optional#empty()}).
 *
 * <p>Kryo-registered (ids 700, 701). Unlike messages, these values outlive a rolling update in the replicated map, so
 * a release that changes the fields must use a new key in {@link FlagStore} or new ids, never reshape these.
 */
public record Flag(String name, int basisPoints, List<String> allow, List<String> deny, List<String> sets,
    List<String> guards, List<Change> audit) implements ClusterMessage {

  public Flag {
    allow = List.copyOf(allow);
    deny = List.copyOf(deny);
    sets = List.copyOf(sets);
    guards = List.copyOf(guards);
    audit = List.copyOf(audit);
  }

  /**
   * One change: {@code who} made it (an operator's name, or {@code auto-rollback:<rule>}) at {@code at} (epoch
   * ms), from {@code from} to {@code to} ({@link #summary()} before and after); the percentages in basis points.
   */
  public record Change(String who, long at, String from, String to, int fromBasisPoints, int toBasisPoints)
      implements ClusterMessage {}

  /** What a change asks for; an empty field keeps the flag's current value. */
  public record Update(Optional<Integer> basisPoints, Optional<List<String>> allow, Optional<List<String>> deny,
      Optional<List<String>> sets, Optional<List<String>> guards) {
    public static Update percent(int basisPoints) {
      return new Update(Optional.of(basisPoints), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }
  }

  /** A flag nobody has set: off for everyone. */
  public static Flag off(String name) {
    return new Flag(name, 0, List.of(), List.of(), List.of(), List.of(), List.of());
  }

  /** Whether {@code user} (whose SET is {@code set}, empty while SETs are not built) is in the audience. */
  public boolean includes(String user, Optional<String> set) {
    if (deny.contains(user)) return false;
    if (allow.contains(user)) return true;
    if (set.isPresent() && sets.contains(set.get())) return true;
    return basisPoints > 0 && Buckets.of(name, user) < basisPoints;
  }

  /** The segment tag value of {@code user}: {@code NAME:on} in the audience, {@code NAME:off} outside it. */
  public String segmentOf(String user, Optional<String> set) {
    return name + (includes(user, set) ? ":on" : ":off");
  }

  /** The percentage as an operator writes it: {@code 10%}, {@code 0.5%}. */
  public String step() {
    return percentText(basisPoints);
  }

  public static String percentText(int basisPoints) {
    if (basisPoints % 100 == 0) return (basisPoints / 100) + "%";
    return String.format(Locale.ROOT, "%.2f", basisPoints / 100.0).replaceAll("0+$", "") + "%";
  }

  /** One line for the audit trail: {@code 10% (allow 2, deny 0, sets 0, guards error-rate)}. */
  public String summary() {
    return step() + " (allow " + allow.size() + ", deny " + deny.size() + ", sets " + sets.size() + ", guards "
        + (guards.isEmpty() ? "none" : String.join(",", guards)) + ")";
  }

  /**
   * This flag after {@code u}, made by {@code who} at {@code now}, audited (the trail cut to its newest {@code
   * auditSize}); itself when {@code u} changes nothing.
   */
  public Flag apply(Update u, String who, long now, int auditSize) {
    Flag next = new Flag(name, u.basisPoints().orElse(basisPoints), u.allow().orElse(allow), u.deny().orElse(deny),
        u.sets().orElse(sets), u.guards().orElse(guards), audit);
    if (next.sameAudience(this)) return this;
    List<Change> trail = new ArrayList<>(audit);
    trail.add(new Change(who, now, summary(), next.summary(), basisPoints, next.basisPoints));
    while (trail.size() > auditSize) trail.remove(0);
    return new Flag(name, next.basisPoints, next.allow, next.deny, next.sets, next.guards, trail);
  }

  private boolean sameAudience(Flag o) {
    return basisPoints == o.basisPoints && allow.equals(o.allow) && deny.equals(o.deny) && sets.equals(o.sets)
        && guards.equals(o.guards);
  }

  /**
   * The step an automatic rollback returns to: the percentage before the latest change that raised it to the
   * current one (found in the audit trail); 0 when the trail does not say (it was cut, or the flag started here).
   * Empty when the flag is at 0% already (nothing to take back).
   */
  public Optional<Integer> previousStep() {
    if (basisPoints == 0) return Optional.empty();
    for (int i = audit.size() - 1; i >= 0; i--) {
      Change c = audit.get(i);
      if (c.toBasisPoints() == basisPoints && c.fromBasisPoints() < basisPoints) return Optional.of(c.fromBasisPoints());
      if (c.toBasisPoints() != basisPoints) break; // an older step: the trail no longer leads to the current one
    }
    return Optional.of(0);
  }

  /** The newest change, if any. */
  public Optional<Change> lastChange() {
    return audit.isEmpty() ? Optional.empty() : Optional.of(audit.get(audit.size() - 1));
  }
}
