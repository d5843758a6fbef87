/**
 * Stage 1, snapshot: the lake as one batch run sees it. The frontier table is read first: its txns are
 * the watermark W_p. The raw and quarantine tables are read after it, so every row below W_p is in
 * the versions read (rows beyond it, from flushes whose frontier commit came later, are filtered out
 * by offset).
 */
import { epochFrontier, type EpochRecord, type GenerationManifest, type LaminaConfig, type LaminaLake, type SealedEpoch, type Snapshot } from '@lamina/shared';

export interface LakeSnapshot {
  frontierVersion: number;
  /** The log epoch archived now, and the earlier ones, sealed at their frontiers. */
  epoch: number;
  sealed: SealedEpoch[];
  /** W_p per partition: the run covers offsets [0, W_p) of the epoch (and every sealed epoch). */
  watermark: number[];
  raw: Map<string, Snapshot>;
  quarantine: Snapshot;
}

export async function takeSnapshot(lake: LaminaLake, config: LaminaConfig, previous: GenerationManifest | undefined, record: EpochRecord): Promise<LakeSnapshot> {
  const frontier = await lake.frontier.snapshot();
  const { epoch, sealed } = record;
  const partitions = Math.max(config.partitions, previous?.epoch === epoch ? previous.watermark.length : 0);
  const watermark = Array.from({ length: partitions }, (_, p) => epochFrontier(frontier.txns, record, p));
  const raw = new Map<string, Snapshot>();
  for (const [type, table] of lake.raw) raw.set(type, await table.snapshot());
  return { frontierVersion: frontier.version, epoch, sealed, watermark, raw, quarantine: await lake.quarantine.snapshot() };
}
