/**
 * The serving layer's guard against silent wrongness: the realtime part of an answer must cover
 * every partition exactly once, for the generation being served.
 */
import type { PartitionCoverage } from '@lamina/shared';

export interface CoverageVerdict {
  complete: boolean;
  ready: boolean;
  missing: number[];
  duplicated: number[];
  wrongGeneration: number[];
}

export function checkCoverage(coverage: readonly PartitionCoverage[], generation: number, partitions: number): CoverageVerdict {
  const seen = new Map<number, number>();
  const wrongGeneration: number[] = [];
  let ready = true;
  for (const c of coverage) {
    if (c.generation !== generation) {
      wrongGeneration.push(c.partition);
      continue;
    }
    seen.set(c.partition, (seen.get(c.partition) ?? 0) + 1);
    if (!c.ready) ready = false;
  }
  const missing: number[] = [];
  const duplicated: number[] = [];
  for (let p = 0; p < partitions; p++) {
    const n = seen.get(p) ?? 0;
    if (n === 0) missing.push(p);
    if (n > 1) duplicated.push(p);
  }
  const complete = missing.length === 0 && duplicated.length === 0 && wrongGeneration.length === 0;
  return { complete, ready: complete && ready, missing, duplicated, wrongGeneration };
}

export function describeCoverage(v: CoverageVerdict): string {
  const parts: string[] = [];
  if (v.missing.length) parts.push(`no speed instance covers partitions ${v.missing.join(',')}`);
  if (v.duplicated.length) parts.push(`partitions ${v.duplicated.join(',')} are covered twice (a rebalance is running)`);
  if (v.wrongGeneration.length) parts.push(`partitions ${v.wrongGeneration.join(',')} answered for another generation`);
  return parts.join('; ') || 'complete';
}
