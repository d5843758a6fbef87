/**
 * Stage 1, snapshot: the lake as one batch run sees it. The frontier table is read first: its txns are
 * the watermark W_p. The raw and quarantine tables are read after it, so every row below W_p is in
 * the versions read (rows beyond it, from flushes whose frontier commit came later, are filtered out
 * by offset).
 */
import { txnAppId, type GenerationManifest, type LaminaConfig, type LaminaLake, type Snapshot } from '@lamina/shared';

export interface LakeSnapshot {
  frontierVersion: number;
  epoch: number;
  /** W_p per partition: the run covers offsets [0, W_p) of the epoch. */
  watermark: number[];
  raw: Map<string, Snapshot>;
  quarantine: Snapshot;
}

export async function takeSnapshot(lake: LaminaLake, config: LaminaConfig, previous: GenerationManifest | undefined): Promise<LakeSnapshot> {
  const frontier = await lake.frontier.snapshot();
  const epoch = 0;
  const partitions = Math.max(config.partitions, previous?.watermark.length ?? 0);
  const watermark = Array.from({ length: partitions }, (_, p) => {
    const last = frontier.txns.get(txnAppId(config.topic, p, epoch));
    return last === undefined ? 0 : last + 1;
  });
  const raw = new Map<string, Snapshot>();
  for (const [type, table] of lake.raw) raw.set(type, await table.snapshot());
  return { frontierVersion: frontier.version, epoch, watermark, raw, quarantine: await lake.quarantine.snapshot() };
}
