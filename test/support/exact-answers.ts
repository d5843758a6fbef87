/**
 * "Every answer is exact, or says it is not": polls the serving layer's GraphQL until its answer
 * counts every accepted event and equals the brute-force aggregation over them. On the way, an answer
 * may be short (not yet folded) or an INCOMPLETE_COVERAGE error, never larger than the truth.
 */
import assert from 'node:assert/strict';
import type { LaminaConfig, LaminaEvent, ViewQuery } from '@lamina/shared';
import { assertSameRows, bruteForce } from './brute-force.js';
import { graphql } from './http.js';

const QUERY: ViewQuery = { granularity: 'all', groupBy: ['country'] };
const GQL = '{ pageviews(granularity: ALL, groupBy: [country], orderBy: [{field: country, direction: ASC}]) { country views visitors p95DurationMs avgDurationMs } }';

export interface ExactAnswer {
  answer: Awaited<ReturnType<typeof graphql>>;
  coverageErrors: number;
}

export async function settleExact(serving: string, config: LaminaConfig, accepted: readonly LaminaEvent[], label: string, timeoutMs = 60_000): Promise<ExactAnswer> {
  let coverageErrors = 0;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await graphql<{ pageviews: ({ country: string; views: number } & Record<string, number>)[] }>(serving, GQL);
    if (answer.errors) {
      assert.equal(answer.errors[0]!.extensions?.code, 'INCOMPLETE_COVERAGE', `${label}: unexpected error ${JSON.stringify(answer.errors)}`);
      coverageErrors++;
    } else {
      const total = answer.data!.pageviews.reduce((s, r) => s + r.views, 0);
      assert.ok(total <= accepted.length, `${label}: ${total} views for ${accepted.length} accepted events: counted twice`);
      if (total === accepted.length) {
        const rows = answer.data!.pageviews.map(({ country, ...values }) => ({ bucket: 0, dims: { country }, values }));
        assertSameRows(rows, bruteForce(config, accepted, 'pageviews', QUERY), new Set(), label);
        return { answer, coverageErrors };
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${label}: no exact answer within ${timeoutMs} ms`);
}
