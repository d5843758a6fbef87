/**
 * A lease on computing generation G, so that two schedulers started at once (a failover pair, a
 * cron on two hosts, Airflow retrying while the first attempt still runs) do the work once: the
 * second sees the lease and stops before computing anything. Publishing stays create-only
 * (generation-store.ts) — the lease saves the work, it is not what makes publication safe.
 *
 * Built on create-only writes alone (no conditional overwrite is needed): take k of G is the object
 * `runs/_lease/<G>.<k>.json`. A run takes G by creating take k+1 once take k has expired (or k = 0);
 * the holder renews by rewriting its own take. Of two runs racing for the same take, one creates it.
 */
import { ConflictError } from '../errors.js';
import { lakeLayout } from '../lake-layout.js';
import type { ObjectStore } from '../ports/object-store.js';

export interface LeaseBody {
  runId: string;
  holder: string;
  expiresAt: string;
}

const decoder = new TextDecoder();
const takeKey = (generation: number, take: number) => `${lakeLayout.leasePrefix}${String(generation).padStart(20, '0')}.${String(take).padStart(4, '0')}.json`;

export class LeaseHeldError extends ConflictError {
  constructor(
    message: string,
    readonly holder: LeaseBody,
  ) {
    super(message);
  }
}

export class RunLease {
  private timer: NodeJS.Timeout | undefined;
  private lost: Error | undefined;

  private constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
    private readonly body: LeaseBody,
    private readonly ttlMs: number,
  ) {}

  /** Takes the lease on `generation` or throws LeaseHeldError naming the run that holds it. */
  static async acquire(store: ObjectStore, generation: number, who: { runId: string; holder: string }, ttlMs: number, now = Date.now): Promise<RunLease> {
    const prefix = `${lakeLayout.leasePrefix}${String(generation).padStart(20, '0')}.`;
    // Takes are listed in key order (zero-padded): only the newest one says whether the lease is held.
    let newestKey: string | undefined;
    for await (const info of store.list(prefix)) newestKey = info.key;
    let newest: { take: number; body: LeaseBody } | undefined;
    const bytes = newestKey === undefined ? undefined : await store.tryGet(newestKey);
    if (newestKey !== undefined && bytes) newest = { take: Number(newestKey.slice(prefix.length, prefix.length + 4)), body: JSON.parse(decoder.decode(bytes)) as LeaseBody };
    if (newest && Date.parse(newest.body.expiresAt) > now()) {
      throw new LeaseHeldError(`generation ${generation} is being computed by run ${newest.body.runId} on ${newest.body.holder} (lease until ${newest.body.expiresAt}); this run stops without computing — retry after that run ends`, newest.body);
    }
    const take = newest ? newest.take + 1 : 0;
    const body: LeaseBody = { ...who, expiresAt: new Date(now() + ttlMs).toISOString() };
    const key = takeKey(generation, take);
    if (!(await store.putIfAbsent(key, JSON.stringify(body)))) {
      const winner = JSON.parse(decoder.decode(await store.get(key))) as LeaseBody;
      throw new LeaseHeldError(`generation ${generation} was just taken by run ${winner.runId} on ${winner.holder}; this run stops without computing`, winner);
    }
    const lease = new RunLease(store, key, body, ttlMs);
    lease.keepRenewed(now);
    return lease;
  }

  /** Renews at a third of the time to live; a renewal that fails is reported by check(). */
  private keepRenewed(now: () => number): void {
    this.timer = setInterval(() => {
      const body = { ...this.body, expiresAt: new Date(now() + this.ttlMs).toISOString() };
      this.store.put(this.key, JSON.stringify(body)).catch((error: Error) => (this.lost = error));
    }, Math.max(1000, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  /** Throws when renewing failed: another run may take the lease, so this one must not publish. */
  check(): void {
    if (this.lost) throw new ConflictError(`the batch lease could not be renewed (${this.lost.message}); stopping so that two runs never publish`, { cause: this.lost });
  }

  /** Ends the lease: the take stays (a record), expired at once, so the next run may take the generation. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.store.put(this.key, JSON.stringify({ ...this.body, expiresAt: new Date(0).toISOString() })).catch(() => undefined);
  }
}
