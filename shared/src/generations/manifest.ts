/** What a published generation promises: exactly which events its batch views cover. */
export interface QualityResult {
  gate: string;
  passed: boolean;
  detail: string;
}

export interface ViewTableRef {
  /** Delta table path in the object store. */
  table: string;
  /** Table version written by this generation. */
  version: number;
  rows: number;
}

export interface GenerationManifest {
  generation: number;
  topic: string;
  createdAt: string;
  /** Version of the raw events table the batch read. */
  lakeVersion: number;
  /** Per partition (index = partition): the generation covers offsets [0, watermark[p]). */
  watermark: number[];
  /** Log time (ms) of the newest event the generation covers; null if it covers none. */
  watermarkTime: number | null;
  events: number;
  quarantined: number;
  views: Record<string, ViewTableRef>;
  quality: QualityResult[];
  timingsMs: Record<string, number>;
}

/** Before the first batch run everything is realtime: generation 0 covers no offset of any partition. */
export function genesisManifest(topic: string, partitions: number): GenerationManifest {
  return {
    generation: 0, topic, createdAt: new Date(0).toISOString(), lakeVersion: -1, watermark: new Array<number>(partitions).fill(0),
    watermarkTime: null, events: 0, quarantined: 0, views: {}, quality: [], timingsMs: {},
  };
}
