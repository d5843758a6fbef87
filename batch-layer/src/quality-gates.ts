/**
 * Checks a batch run must pass before its generation is published. A failed gate keeps serving on
 * the previous generation; the failure is logged, counted and sent to the alert hook.
 */
import type { LaminaConfig, QualityResult } from '@lamina/shared';

export interface BatchFacts {
  /** Rows the batch folded from the lake snapshot. */
  eventsRead: number;
  /** Rows the snapshot's Delta stats say its files hold (null when a file has no stats). */
  eventsInStats: number | null;
  quarantined: number;
  watermark: readonly number[];
  previousWatermark: readonly number[] | undefined;
}

export function runQualityGates(config: LaminaConfig, facts: BatchFacts): QualityResult[] {
  const { quality } = config.batch;
  const results: QualityResult[] = [];
  results.push(
    facts.eventsInStats === null
      ? { gate: 'complete-read', passed: true, detail: `read ${facts.eventsRead} events (files carry no row-count stats to compare)` }
      : {
          gate: 'complete-read',
          passed: facts.eventsRead === facts.eventsInStats,
          detail: `read ${facts.eventsRead} events; the snapshot's files hold ${facts.eventsInStats}`,
        },
  );
  const regressed = (facts.previousWatermark ?? []).map((w, p) => ({ p, w, now: facts.watermark[p] ?? 0 })).filter((x) => x.now < x.w);
  results.push({
    gate: 'watermark-monotonic',
    passed: regressed.length === 0,
    detail: regressed.length === 0 ? 'every partition watermark >= the previous generation' : `watermark went back on partitions ${regressed.map((x) => `${x.p} (${x.w} -> ${x.now})`).join(', ')}`,
  });
  results.push({
    gate: 'min-events',
    passed: facts.eventsRead >= quality.minEvents,
    detail: `${facts.eventsRead} events, minimum ${quality.minEvents}`,
  });
  const total = facts.eventsRead + facts.quarantined;
  const ratio = total === 0 ? 0 : facts.quarantined / total;
  results.push({
    gate: 'quarantine-ratio',
    passed: ratio <= quality.maxQuarantineRatio,
    detail: `${facts.quarantined} of ${total} messages quarantined (${(ratio * 100).toFixed(2)}%), maximum ${(quality.maxQuarantineRatio * 100).toFixed(2)}%`,
  });
  return results;
}
