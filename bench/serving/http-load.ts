/**
 * HTTP load for the serving benchmark: autocannon runs (a GraphQL answer with `errors` counts as a
 * failure, not a request served), a dashboard that polls once a second, and a /healthz prober (in a
 * process of its own).
 */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';

export interface LoadResult {
  reqPerSec: number;
  p50: number;
  p99: number;
  /** Requests that failed: transport errors, timeouts, non-2xx, or an answer with GraphQL errors. */
  failed: number;
  /** Why, by kind: the GraphQL error codes of failed answers, and transport errors, timeouts and non-2xx answers. */
  failures: Record<string, number>;
  ok: number;
  seconds: number;
}

export async function load(url: string, body: string, options: { connections: number; seconds: number; graphql?: boolean }): Promise<LoadResult> {
  const failures: Record<string, number> = {};
  const verifyBody = (text: string): boolean => {
    if (!text.includes('"errors"')) return true;
    const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? 'no code';
    failures[code] = (failures[code] ?? 0) + 1;
    return false;
  };
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: options.connections,
    duration: options.seconds,
    timeout: 30,
    ...(options.graphql === false ? {} : { verifyBody: (text) => verifyBody(String(text)) }),
  });
  const failed = result.errors + result.timeouts + result.non2xx + result.mismatches;
  for (const [kind, n] of [['transport error', result.errors], ['timeout', result.timeouts], ['non-2xx', result.non2xx]] as const) if (n > 0) failures[kind] = n;
  return { reqPerSec: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, failed, failures, ok: result['2xx'] - result.mismatches, seconds: result.duration };
}

export async function graphqlRequest(base: string, query: string): Promise<{ data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return (await response.json()) as never;
}

/** Asks `query` once and fails loudly unless it answers without errors. */
export async function answerOf(base: string, query: string): Promise<Record<string, unknown>> {
  const answer = await graphqlRequest(base, query);
  if (answer.errors || !answer.data) throw new Error(`the bench query failed: ${JSON.stringify(answer.errors)}\n${query.slice(0, 300)}`);
  return answer.data;
}

/** A dashboard: every second, all its queries at once; latencies of each round, and failed rounds. */
export function pollEverySecond(base: string, queries: readonly string[]): { stop(): Promise<{ rounds: number[]; failed: number }> } {
  const rounds: number[] = [];
  let failed = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const answers = await Promise.all(queries.map((q) => graphqlRequest(base, q).catch(() => ({ errors: [{ message: 'transport' }] }))));
      const ms = performance.now() - started;
      if (answers.some((a) => a.errors)) failed++;
      rounds.push(ms);
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - ms)));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { rounds, failed };
    },
  };
}

/** GET `url` every `everyMs` from a child process (probe-child.ts) until stopped: each answer's latency (ms). */
export function probe(url: string, everyMs: number): { stop(): Promise<number[]> } {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./probe-child.ts', import.meta.url).pathname, url, String(everyMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    async stop() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`the /healthz prober exited with ${code}`);
      return JSON.parse(out.trim().split('\n').at(-1)!) as number[];
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** POSTs `body` to `url` every `everyMs` until stopped (a steady trickle of events): how many were accepted. */
export function trickle(url: string, body: string, everyMs: number): { stop(): Promise<{ posted: number; failed: number }> } {
  let posted = 0;
  let failed = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).catch(() => undefined);
      if (res?.ok) posted++;
      else failed++;
      await res?.arrayBuffer().catch(() => undefined);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { posted, failed };
    },
  };
}
