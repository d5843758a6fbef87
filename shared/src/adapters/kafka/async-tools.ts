/** Small promise tools the Kafka adapter's callback-driven parts need. */

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  readonly settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // rejections are observed by whoever awaits; never "unhandled"
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (value) => {
      if (d.settled) return;
      (d as { settled: boolean }).settled = true;
      resolve(value);
    },
    reject: (error) => {
      if (d.settled) return;
      (d as { settled: boolean }).settled = true;
      reject(error);
    },
  };
  return d;
}

/** Backoff sleeps that stop(), seek() and rebalances cut short. */
export class Sleeps {
  private readonly sleepers = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.sleepers.add(done);
    });
  }

  wakeAll(): void {
    for (const done of [...this.sleepers]) done();
  }
}

/** Exponential backoff: initial * 2^failures, capped. */
export function backoffMs(failures: number, backoff: { initialMs: number; maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 30));
}
