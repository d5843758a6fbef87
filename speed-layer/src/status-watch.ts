/**
 * Long-polled status for the serving instances: `GET /v1/status?after=<etag>&waitMs=<n>` answers at
 * once when the status differs from the one the caller holds (its etag), else as soon as it changes,
 * else after waitMs. A serving instance that keeps one such call open knows the realtime version of
 * every generation a moment after it moves, so a cached answer needs no round trip to be checked.
 *
 * Changes are found by comparing the status every CHECK_MS while someone waits, not by hooks in
 * the fold: the status is a few numbers per partition, and the fold's hot path stays as it is.
 */
import { createHash } from 'node:crypto';
import type { RealtimeStatus } from '@lamina/shared';

const CHECK_MS = 5;
const MAX_WAIT_MS = 30_000;

export interface WatchedStatus extends RealtimeStatus {
  /** Identifies this status (a digest of it): pass it back as `after`. */
  etag: string;
}

interface Waiter {
  after: string;
  deadline: number;
  resolve: (status: WatchedStatus) => void;
}

export class StatusWatch {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly status: () => Promise<RealtimeStatus>) {}

  async current(): Promise<WatchedStatus> {
    const status = await this.status();
    return { ...status, etag: createHash('md5').update(JSON.stringify(status)).digest('base64url') };
  }

  /** The status once it differs from `after` (at once if it already does), or the same one after waitMs. */
  async next(after: string, waitMs: number): Promise<WatchedStatus> {
    const now = await this.current();
    if (now.etag !== after || waitMs <= 0) return now;
    return new Promise((resolve) => {
      this.waiters.add({ after, deadline: Date.now() + Math.min(waitMs, MAX_WAIT_MS), resolve });
      this.timer ??= setInterval(() => void this.check(), CHECK_MS);
    });
  }

  /** Answers every waiter now (on shutdown), so no call stays open. */
  close(): void {
    void this.check(true);
  }

  private checking = false;

  private async check(all = false): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const now = await this.current();
      const time = Date.now();
      for (const waiter of this.waiters) {
        if (all || now.etag !== waiter.after || time >= waiter.deadline) {
          this.waiters.delete(waiter);
          waiter.resolve(now);
        }
      }
    } finally {
      this.checking = false;
      if (this.waiters.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }
  }
}
