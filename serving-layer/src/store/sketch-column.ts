/**
 * The merged states of one sketch measure (distinct, quantile) of a scanned batch part, one per group
 * slot, encoded back to back in one buffer. A scan of fifteen thousand groups makes no state object
 * per group: those states (HyperLogLog entries, DDSketch bins, 2–5 KB each, live for the whole
 * answer) were most of what the collector copied and compacted during a large answer, the pauses
 * /healthz waited behind. A group's result is read from its bytes; a state is decoded only for a group
 * the realtime part touches; a cached part's size is its bytes.
 */
import { ByteWriter, type EncodedRuns, type SketchMeasure } from '@lamina/shared';

export class SketchColumn {
  private writer: ByteWriter | undefined = new ByteWriter(4096);
  private bytes: Uint8Array = new Uint8Array(0);
  /** State s is bytes[ends[s - 1] .. ends[s]) (from 0 for s = 0). */
  private ends = new Float64Array(256);
  private count = 0;
  private identity: Uint8Array | undefined;

  constructor(private readonly measure: SketchMeasure) {}

  /** Appends the next slot's state: the merge of `runs`, or the identity when there are none. */
  append(runs: EncodedRuns): void {
    const out = this.writer!;
    if (runs.length > 0) this.measure.writeMergedRuns(runs, out);
    else out.bytes((this.identity ??= this.measure.encode(this.measure.identity())));
    if (this.count === this.ends.length) {
      const grown = new Float64Array(2 * this.ends.length);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.count++] = out.length;
  }

  /** Every slot appended: the buffer is trimmed and read from here on. */
  seal(): void {
    this.bytes = this.writer!.finish();
    this.writer = undefined;
  }

  get byteLength(): number {
    return this.bytes.length + 8 * this.ends.length;
  }

  /** The measure's result for slot s (what result(state(s)) gives), with no state made. */
  result(s: number): number | null {
    return this.measure.resultOfEncoded(this.bytes, this.start(s), this.ends[s]!);
  }

  /** Slot s's state, decoded: a new one, the caller's to change. */
  state(s: number): unknown {
    return this.measure.decode(this.bytes.subarray(this.start(s), this.ends[s]!));
  }

  private start(s: number): number {
    return s === 0 ? 0 : this.ends[s - 1]!;
  }
}
