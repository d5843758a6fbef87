/**
 * The in-process group coordinator of one (groupId, topic): members share the topic's partitions
 * by range assignment, and every join or leave is an eager rebalance — every member's partitions
 * are revoked (its fetchers stopped, onRevoked awaited), then the new plan is handed out
 * (onAssigned awaited, fetchers started). Rebalances run one at a time, in call order.
 */

export interface GroupMember {
  /** Sorts members for range assignment: join order. */
  readonly memberId: string;
  /** Stops fetching and calls onRevoked for whatever the member holds. */
  revoke(): Promise<void>;
  /** Calls onAssigned and starts fetching. False: the member failed its first assignment and must leave. */
  assign(partitions: number[]): Promise<boolean>;
}

/** Kafka's RangeAssignor for one topic: contiguous ranges, the first (n % m) members get one extra. */
export function rangeAssign(partitionCount: number, memberIds: string[]): Map<string, number[]> {
  const sorted = [...memberIds].sort();
  const plan = new Map<string, number[]>();
  const base = Math.floor(partitionCount / Math.max(sorted.length, 1));
  const extra = partitionCount % Math.max(sorted.length, 1);
  let next = 0;
  sorted.forEach((id, i) => {
    const count = base + (i < extra ? 1 : 0);
    plan.set(id, Array.from({ length: count }, (_, k) => next + k));
    next += count;
  });
  return plan;
}

export class ConsumerGroup {
  private readonly members = new Map<string, GroupMember>();
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly groupId: string, readonly topic: string, private readonly partitionCount: number) {}

  /** Adds the member and rebalances; resolves once the rebalance is done. */
  join(member: GroupMember): Promise<void> {
    return this.enqueue(async () => {
      this.members.set(member.memberId, member);
      await this.rebalance();
    });
  }

  /** Revokes the member's partitions, removes it and rebalances the rest. */
  leave(member: GroupMember): Promise<void> {
    return this.enqueue(async () => {
      if (!this.members.delete(member.memberId)) return;
      await member.revoke();
      await this.rebalance();
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async rebalance(): Promise<void> {
    for (;;) {
      const members = [...this.members.values()];
      await Promise.all(members.map((m) => m.revoke()));
      const plan = rangeAssign(this.partitionCount, members.map((m) => m.memberId));
      const accepted = await Promise.all(members.map((m) => m.assign(plan.get(m.memberId) ?? [])));
      const failed = members.filter((_, i) => !accepted[i]);
      if (failed.length === 0) return;
      // Members that could not take their first assignment hold nothing; share their partitions out again.
      for (const m of failed) this.members.delete(m.memberId);
    }
  }
}
