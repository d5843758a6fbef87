/**
 * Realtime state for one generation G: per owned partition p, the fold of offsets [W_p(G), next_p)
 * into one aggregate per view. An event is folded iff its offset is at or past next_p, so a record
 * delivered twice (replay, rebalance) is never counted twice.
 */
import { ViewAggregate, type CompiledView, type LaminaEvent, type PartitionCoverage } from '@lamina/shared';

export class PartitionState {
  readonly aggregates = new Map<string, ViewAggregate>();
  /** Next offset to fold. */
  next: number;
  highWatermark: number;
  lastEventTime: number | null = null;
  ready = false;

  constructor(
    readonly partition: number,
    readonly fromOffset: number,
    /** Ready once next reaches this (the log end when the state was created). */
    private readonly target: number,
    views: readonly CompiledView[],
  ) {
    this.next = fromOffset;
    this.highWatermark = target;
    for (const view of views) this.aggregates.set(view.name, new ViewAggregate(view));
    this.checkReady();
  }

  /** Folds one record's event (or just advances past an invalid one). Returns whether it was new. */
  fold(offset: number, event: LaminaEvent | undefined, logTime: number): boolean {
    if (offset < this.next) return false;
    if (event) for (const aggregate of this.aggregates.values()) aggregate.add(event);
    this.next = offset + 1;
    this.lastEventTime = logTime;
    this.checkReady();
    return true;
  }

  /** Moves past offsets that hold no record (covered by a replay up to `offset`). */
  advanceTo(offset: number): void {
    if (offset > this.next) this.next = offset;
    this.checkReady();
  }

  private checkReady(): void {
    if (!this.ready && this.next >= this.target) this.ready = true;
  }

  coverage(generation: number): PartitionCoverage {
    return {
      partition: this.partition,
      generation,
      fromOffset: this.fromOffset,
      toOffset: this.next,
      highWatermark: Math.max(this.highWatermark, this.next),
      ready: this.ready,
      lastEventTime: this.lastEventTime,
    };
  }
}

export class GenerationState {
  readonly partitions = new Map<number, PartitionState>();

  constructor(
    readonly generation: number,
    /** W_p(G) per partition; missing partitions have watermark 0. */
    readonly watermark: readonly number[],
  ) {}

  watermarkOf(partition: number): number {
    return this.watermark[partition] ?? 0;
  }

  readyOn(partitions: Iterable<number>): boolean {
    for (const p of partitions) if (!this.partitions.get(p)?.ready) return false;
    return true;
  }
}
