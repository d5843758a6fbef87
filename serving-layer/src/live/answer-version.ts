/**
 * What an answer is made of, as a comparable string: the generation, the views it lacks, and per
 * partition how far the realtime part has folded. Two answers (or freshness readings) with the same
 * version come from the same data, so a live query re-asks only when the version moves.
 */
import type { AnswerMeta } from '../query-service.js';

export function answerVersion(meta: AnswerMeta): string {
  const coverage = meta.coverage.map((c) => `${c.partition}:${c.generation}:${c.fromOffset}-${c.toOffset}${c.ready ? '' : '?'}`);
  return `${meta.generation}${meta.stale ? ' stale' : ''}|${meta.incompleteViews.join(',')}|${coverage.join(' ')}`;
}
