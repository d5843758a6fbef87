/**
 * Hands out turns, one per event-loop iteration, in the order they were asked for. Between two turns
 * the loop polls for I/O, so the health endpoints, ingest and the speed layer are served between
 * two turns' work (what runs in a turn without waiting on I/O) instead of after all of them.
 */
export class Turns {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  /** Resolves at the start of this caller's turn. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    // Scheduled from inside a check phase, the next immediate waits for the next iteration (after the poll phase).
    setImmediate(() => {
      this.scheduled = false;
      this.waiting.shift()!();
      this.schedule();
    });
  }
}
