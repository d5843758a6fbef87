/**
 * The merged states of one sketch measure (distinct, quantile) of a scanned batch part, by group slot,
 * with no state object per group. Those states (HyperLogLog entries, DDSketch bins, 2–5 KB each, live
 * for the whole answer) were most of what the collector copied and compacted during a large answer,
 * the pauses /healthz waited behind. A group's result is read from encoded bytes; a state is decoded
 * only for a group the realtime part touches.
 *
 * Two kinds: a part that is kept (cached) merges every group once into one buffer (StoredSketches:
 * its size is its bytes, the chunks are not held); a part used for one answer only merges a group
 * when asked, into one reused buffer (MergedOnAsk): an answer of fifteen thousand groups then
 * allocates no sketch memory at all, where a buffer of 30–60 MB per answer made V8 run a full
 * collection per answer for the external memory alone.
 */
import { ByteWriter, type EncodedRuns, type SketchMeasure } from '@lamina/shared';

export interface SketchColumn {
  /** The measure's result for slot s (what result(state(s)) gives), with no state made; computed once. */
  result(s: number): number | null;
  /** Slot s's state, decoded: a new one, the caller's to change. */
  state(s: number): unknown;
  /** Bytes it holds. */
  readonly byteLength: number;
}

/** Runs of stored states by group slot (a scan's SketchRuns). */
export interface RunsBySlot {
  /** The runs of slot s, valid until the next call. */
  select(s: number): EncodedRuns;
}

/** The identity's encoding (a slot without runs), once per measure. */
const identities = new WeakMap<SketchMeasure, Uint8Array>();

function writeMerged(measure: SketchMeasure, runs: EncodedRuns, out: ByteWriter): void {
  if (runs.length > 0) measure.writeMergedRuns(runs, out);
  else {
    let identity = identities.get(measure);
    if (!identity) identities.set(measure, (identity = measure.encode(measure.identity())));
    out.bytes(identity);
  }
}

/** Results by slot, each computed once: an answer reads a group's result to order it, then to show it. */
class ResultMemo {
  private values = new Float64Array(0);
  /** 0: not computed, 1: a number, 2: null. */
  private known = new Uint8Array(0);

  get(s: number, compute: (s: number) => number | null): number | null {
    if (s >= this.known.length) this.grow(s);
    const known = this.known[s];
    if (known === 1) return this.values[s]!;
    if (known === 2) return null;
    const value = compute(s);
    this.known[s] = value === null ? 2 : 1;
    if (value !== null) this.values[s] = value;
    return value;
  }

  private grow(s: number): void {
    const size = Math.max(256, 2 * this.known.length, s + 1);
    const values = new Float64Array(size);
    values.set(this.values);
    const known = new Uint8Array(size);
    known.set(this.known);
    this.values = values;
    this.known = known;
  }

  get byteLength(): number {
    return 9 * this.known.length;
  }
}

/** Every slot's merged state, encoded back to back: appended in slot order, then sealed. */
export class StoredSketches implements SketchColumn {
  private readonly results = new ResultMemo();
  private readonly read = (s: number) => this.measure.resultOfEncoded(this.bytes, this.start(s), this.ends[s]!);
  private writer: ByteWriter | undefined = new ByteWriter(4096);
  private bytes: Uint8Array = new Uint8Array(0);
  /** State s is bytes[ends[s - 1] .. ends[s]) (from 0 for s = 0). */
  private ends = new Float64Array(256);
  private count = 0;

  constructor(private readonly measure: SketchMeasure) {}

  /** Appends the next slot's state: the merge of `runs`. */
  append(runs: EncodedRuns): void {
    const out = this.writer!;
    writeMerged(this.measure, runs, out);
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
    return this.bytes.length + 8 * this.ends.length + this.results.byteLength;
  }

  result(s: number): number | null {
    this.assertSealed();
    return this.results.get(s, this.read);
  }

  state(s: number): unknown {
    this.assertSealed();
    return this.measure.decode(this.bytes.subarray(this.start(s), this.ends[s]!));
  }

  private assertSealed(): void {
    if (this.writer) throw new Error('StoredSketches read before seal(): the scan has not merged every slot yet');
  }

  private start(s: number): number {
    return s === 0 ? 0 : this.ends[s - 1]!;
  }
}

/** One merge at a time, in a buffer every MergedOnAsk shares (synchronous use only). */
const scratch = new ByteWriter(64 * 1024);

/** A slot's state merged from its runs when asked; the runs (and the chunks they point into) are held. */
export class MergedOnAsk implements SketchColumn {
  private readonly results = new ResultMemo();
  private readonly read = (s: number) => {
    this.merge(s);
    return this.measure.resultOfEncoded(scratch.written(), 0, scratch.length);
  };

  constructor(
    private readonly measure: SketchMeasure,
    private readonly runs: RunsBySlot,
  ) {}

  get byteLength(): number {
    return this.results.byteLength;
  }

  result(s: number): number | null {
    return this.results.get(s, this.read);
  }

  state(s: number): unknown {
    this.merge(s);
    // decode copies what it reads: the state does not point into the scratch.
    return this.measure.decode(scratch.written());
  }

  private merge(s: number): void {
    scratch.reset();
    writeMerged(this.measure, this.runs.select(s), scratch);
  }
}
