/**
 * Stage 4, check: the gates a run must pass before its generation is published. A failed gate keeps
 * serving on the previous generation; the failure is logged, counted and sent to the alert hook.
 */
import type { LaminaConfig, QualityResult } from '@lamina/shared';

export interface BatchFacts {
  /** Per raw table: rows the engine counted in the run's window, and rows the files' offset tags promise (null: untagged files). */
  reads: { type: string; counted: number; expected: number | null }[];
  /** Events the generation covers in all. */
  events: number;
  /** Invalid messages quarantined below the watermark. */
  quarantined: number;
  watermark: readonly number[];
  previousWatermark: readonly number[] | undefined;
}

export function runQualityGates(config: LaminaConfig, facts: BatchFacts): QualityResult[] {
  const { quality } = config.batch;
  const results: QualityResult[] = [];
  const missing = facts.reads.filter((r) => r.expected !== null && r.expected !== r.counted);
  const untagged = facts.reads.filter((r) => r.expected === null).map((r) => r.type);
  results.push({
    gate: 'complete-read',
    passed: missing.length === 0,
    detail:
      missing.length > 0
        ? `read fewer or more rows than the lake's files hold: ${missing.map((r) => `${r.type} ${r.counted} of ${r.expected}`).join(', ')}`
        : `read ${facts.reads.reduce((n, r) => n + r.counted, 0)} new rows, as the files' offset ranges say${untagged.length ? ` (no ranges to compare for ${untagged.join(', ')})` : ''}`,
  });
  const regressed = (facts.previousWatermark ?? []).map((w, p) => ({ p, w, now: facts.watermark[p] ?? 0 })).filter((x) => x.now < x.w);
  results.push({
    gate: 'watermark-monotonic',
    passed: regressed.length === 0,
    detail: regressed.length === 0 ? 'every partition watermark >= the previous generation' : `watermark went back on partitions ${regressed.map((x) => `${x.p} (${x.w} -> ${x.now})`).join(', ')}`,
  });
  results.push({
    gate: 'min-events',
    passed: facts.events >= quality.minEvents,
    detail: `${facts.events} events, minimum ${quality.minEvents}`,
  });
  const total = facts.events + facts.quarantined;
  const ratio = total === 0 ? 0 : facts.quarantined / total;
  results.push({
    gate: 'quarantine-ratio',
    passed: ratio <= quality.maxQuarantineRatio,
    detail: `${facts.quarantined} of ${total} messages quarantined (${(ratio * 100).toFixed(2)}%), maximum ${(quality.maxQuarantineRatio * 100).toFixed(2)}%`,
  });
  return results;
}
