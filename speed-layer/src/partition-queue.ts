/**
 * Runs tasks of one partition strictly one after another (live batches and generation rebuilds
 * alike), so a rebuild sees a stable live position and never races the consumer.
 */
export class PartitionQueues {
  private readonly tails = new Map<number, Promise<void>>();

  run<T>(partition: number, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(partition) ?? Promise.resolve();
    const result = previous.then(task);
    this.tails.set(
      partition,
      result.then(
        () => undefined,
        () => undefined,
      ),
    );
    return result;
  }

  /** Resolves when every task queued so far has finished. */
  async drain(): Promise<void> {
    await Promise.all(this.tails.values());
  }
}
