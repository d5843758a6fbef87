/**
 * A one-waiter wake-up signal: `wait()` resolves on the next `wake()` (or after `ms`), and a wake
 * that comes while nobody waits is remembered, so a wake between "checked, nothing to do" and
 * "started waiting" is never lost. This is how idle consumers sleep without polling.
 */
export class Waker {
  private waiting: (() => void) | null = null;
  private woken = false;

  wake(): void {
    this.woken = true;
    this.waiting?.();
  }

  wait(ms?: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.waiting = null;
        this.woken = false;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, Math.max(0, ms));
      this.waiting = done;
    });
  }
}

/** Exponential backoff: initial * 2^failures, capped. */
export function backoffMs(failures: number, backoff: { initialMs: number; maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 30));
}
