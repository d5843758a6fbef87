/** What a published generation promises: exactly which events its batch views cover. */
export interface QualityResult {
  /** The gate's name (a declared gate over every type: `<name>.<type>`); built-in gates by their check. */
  gate: string;
  /** The declared check (freshness, volume, ...); absent for the built-in gates. */
  check?: string;
  /** `error` blocks publication, `warn` is recorded and published; absent (built-in gates): error. */
  severity?: 'error' | 'warn';
  passed: boolean;
  detail: string;
  /** The measured figure the bound applies to (a ratio, an age in minutes), when there is one. */
  value?: number | null;
  /** Failed, but the run was told to publish anyway (`lamina batch run --waive <gate>`, after review). */
  waived?: boolean;
}

export interface ViewTableRef {
  /** Delta table path in the object store (one table per view definition). */
  table: string;
  /** Table version this generation reads. */
  version: number;
  /** The view definition the table holds (CompiledView.fingerprint). */
  fingerprint: string;
  /** Rows stored at that version (several may share a group key: see view-table.ts). */
  rows: number;
  /** The same view precomputed at coarser grains (hour, day), for coarse queries. */
  rollups?: Partial<Record<'hour' | 'day', Omit<ViewTableRef, 'rollups'>>>;
}

export interface GenerationManifest {
  generation: number;
  topic: string;
  createdAt: string;
  /** Version of the frontier table the batch read (its txns are the watermark). */
  lakeVersion: number;
  /** Versions of the raw and quarantine tables the batch read, by table path. */
  tableVersions: Record<string, number>;
  /** The log epoch the watermark is for, and the log it describes (see epochs/log-epochs.ts). */
  epoch: number;
  log: { clusterId: string; topic: string } | null;
  /** Earlier log epochs, covered up to the frontier they were sealed at. */
  sealedEpochs: { epoch: number; frontier: number[] }[];
  /** Per partition (index = partition): the generation covers offsets [0, watermark[p]) of the epoch. */
  watermark: number[];
  /** Log time (ms) of the newest event the generation covers; null if it covers none. */
  watermarkTime: number | null;
  events: number;
  /** Of `events`, later copies of an event that the views do not count (deduplication; absent before it existed). */
  duplicates?: number;
  quarantined: number;
  views: Record<string, ViewTableRef>;
  quality: QualityResult[];
  /** What the views were computed from: the lake (absent: the lake) or the log (`batch run --from-log`, a Kappa replay). */
  source?: 'lake' | 'log';
  /** How the run computed the views: incrementally from the previous generation, or in full. */
  mode: 'full' | 'incremental';
  engine: string;
  timingsMs: Record<string, number>;
}

/** Before the first batch run everything is realtime: generation 0 covers no offset of any partition. */
export function genesisManifest(topic: string, partitions: number): GenerationManifest {
  return {
    generation: 0, topic, createdAt: new Date(0).toISOString(), lakeVersion: -1, tableVersions: {}, epoch: 0, log: null, sealedEpochs: [], watermark: new Array<number>(partitions).fill(0),
    watermarkTime: null, events: 0, quarantined: 0, views: {}, quality: [], mode: 'full', engine: 'none', timingsMs: {},
  };
}

/** Whether a generation's batch part covers any event (generation 0 and empty lakes do not). */
export function coversEvents(manifest: GenerationManifest): boolean {
  return manifest.watermark.some((w) => w > 0) || manifest.sealedEpochs.some((s) => s.frontier.some((f) => f > 0));
}
