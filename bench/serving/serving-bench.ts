/**
 * The serving benchmark (issue: serving at dashboard speed with bounded memory). Distributed mode on
 * the local stack (real Kafka, MinIO), every layer its own process, per size:
 *   1. a generated clickstream produced to Kafka and written to the lake as if archived (prepare.ts),
 *      then `lamina batch run`: generation 1;
 *   2. `lamina archive` and `lamina speed`, then `lamina serve` with caching off (serving.cachedQueries
 *      0): the dashboard queries one at a time (uncached latency), /healthz probed meanwhile, and the
 *      1,000-alias request;
 *   3. `lamina serve` with the default config: the same queries from 10 connections (cached), against
 *      bare graphql-yoga answering the same documents with Lamina's answers as constants (bare-yoga.ts);
 *   4. HTTP ingest at full speed, alone and while a dashboard polls every second, twice each;
 *   5. the archiver catches up, `lamina batch run` publishes generation 2: how long until it is served
 *      (the serving layer warms the recent queries on it first); then the all-time query from one
 *      connection while events trickle in (each answer merges a moved realtime part into the warmed
 *      batch part: what a polling dashboard waits for), the queries again, and the serving process's
 *      peak RSS (two generations loaded).
 * Results to bench/results/serving.md and BENCHMARKS.md (not in --smoke).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildClientSchema, getIntrospectionQuery, printSchema, type IntrospectionQuery } from 'graphql';
import { KafkaEventLog, S3ObjectStore } from '@lamina/shared';
import example from '../../cli/src/example-config.js';
import { ensureStack, stopStack, type StackEnv } from '../../infra/stack-lib.mjs';
import { freePort, runLayer, startLayer, warningLines, type LaminaProcess } from '../../test/support/processes.js';
import { median, rssMB, runStep, startServerStep } from '../support/child.js';
import { writeSection } from '../support/report.js';
import { answerOf, graphqlRequest, load, percentile, pollEverySecond, probe, trickle, type LoadResult } from './http-load.js';

const HOUR = 3_600_000;
const here = new URL('.', import.meta.url).pathname;

interface Settings { seconds: number; connections: number }

interface SizeResult {
  events: number;
  groups: number;
  batchMs: number;
  serveReadyMs: number;
  coldMs: { top: number; all: number };
  uncached: { top: LoadResult; all: LoadResult };
  /** Probed from another process; and the serve process's own event-loop delay (monitorEventLoopDelay, 10 ms resolution) meanwhile. */
  healthz: { p99: number; max: number; probes: number; loopP99: number; loopMax: number };
  aliasRefusal: { medianMs: number; maxMs: number; code: string };
  cached: { top: LoadResult; all: LoadResult };
  /** The all-time query on the warmed generation 2 while events trickle in (the result cache cannot answer). */
  liveAll: LoadResult;
  liveEventsPosted: number;
  bare: { top: LoadResult; all: LoadResult };
  ingestAlone: number[];
  ingestPolled: number[];
  pollRoundP50: number;
  pollFailed: number;
  generationServedMs: number;
  rssPeakMB: number;
  rssEndMB: number;
}

/** The dashboard's documents; the 24-hour window ends at the next full hour (the dashboard's own alignment). */
function documents(now: number) {
  const to = new Date(Math.floor(now / HOUR) * HOUR + HOUR).toISOString();
  const from = new Date(Date.parse(to) - 24 * HOUR).toISOString();
  const measures = 'views visitors p95DurationMs avgDurationMs';
  return {
    top: `{ top: pageviews(from: "${from}", to: "${to}", granularity: HOUR, groupBy: [url], orderBy: [{ field: views, direction: DESC }], limit: 10) { bucket url ${measures} } }`,
    all: `{ all: pageviews(groupBy: [url, country]) { url country ${measures} } }`,
    series: `{ series: pageviews(from: "${from}", to: "${to}", granularity: HOUR, groupBy: []) { bucket views visitors } }`,
    totals: `{ totals: pageviews(groupBy: []) { views visitors } }`,
  };
}

function ingestBody(now: number, count = 100): string {
  const events = Array.from({ length: count }, (_, i) => ({
    id: `bench-ingest-${i}`,
    type: 'page_view',
    ts: new Date(now - ((i * 36_000) % HOUR)).toISOString(),
    data: { url: `/page/${i % 50}`, country: `C${String.fromCharCode(65 + (i % 26))}${i % 30}`, userId: `user-${(i * 97) % 50_000}`, durationMs: 100 + i },
  }));
  return JSON.stringify(events);
}

async function configFile(dir: string, topic: string, cachedQueries?: number): Promise<string> {
  const config = {
    ...example,
    topic,
    partitions: 4,
    eventTypes: { page_view: example.eventTypes.page_view },
    views: { pageviews: example.views.pageviews },
    ...(cachedQueries === undefined ? {} : { serving: { cachedQueries } }),
  };
  const path = join(dir, `lamina-${cachedQueries ?? 'default'}.config.mjs`);
  await writeFile(path, `export default ${JSON.stringify(config, null, 2)};\n`);
  return path;
}

/** The serve process's event-loop delay since the last scrape (ms): how long a request that arrived at a random moment waited. */
async function loopDelay(base: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name: string) => 1000 * Number(new RegExp(`^lamina_process_nodejs_eventloop_lag_${name}_seconds ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { p99: read('p99'), max: read('max') };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await f();
  return [value, performance.now() - started];
}

/** Until the archiver's frontier reaches the end of the log (what the next batch run covers). */
async function archiverCaughtUp(metricsUrl: string, log: KafkaEventLog, topic: string): Promise<void> {
  const ends = await log.endOffsets(topic);
  const deadline = Date.now() + 600_000;
  for (;;) {
    const text = await (await fetch(metricsUrl)).text();
    const frontier = new Map([...text.matchAll(/^lamina_archiver_frontier_offset\{partition="(\d+)"\} (\d+)/gm)].map((m) => [Number(m[1]), Number(m[2])]));
    if (ends.every((end, p) => (frontier.get(p) ?? 0) >= end)) return;
    if (Date.now() > deadline) throw new Error(`the archiver did not catch up within 10 minutes: frontier ${JSON.stringify([...frontier])}, log end ${JSON.stringify(ends)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** From the end of `lamina batch run` until the serving layer answers from a newer generation: ms after its publication. */
async function generationServed(base: string, before: number): Promise<number> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const data = (await graphqlRequest(base, '{ freshness { generation stale } generations { generation createdAt } }')).data as
      | { freshness: { generation: number; stale: boolean }; generations: { generation: number; createdAt: string }[] }
      | undefined;
    const now = Date.now();
    if (data && data.freshness.generation > before && !data.freshness.stale) {
      const published = data.generations.find((g) => g.generation === data.freshness.generation)!;
      return now - Date.parse(published.createdAt);
    }
    if (now > deadline) throw new Error(`generation ${before + 1} not served within 2 minutes`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The heap caps docker-compose.yml gives the serving process (docs/operations.md, "Serving memory"). */
export const SERVE_NODE_OPTIONS = '--max-old-space-size=384 --max-semi-space-size=16';
/** What the image (Dockerfile) sets for every Lamina process: glibc's mmap threshold, fixed. */
const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '131072' };

async function benchSize(events: number, stack: StackEnv, work: string, settings: Settings): Promise<SizeResult> {
  const run = `bench-serving-${events}-${Date.now().toString(36)}`;
  const prefix = `${run}/`;
  const env: Record<string, string> = { ...stack, LAMINA_TOPIC: run, LAMINA_S3_PREFIX: prefix, LAMINA_DATA_DIR: join(work, run), LAMINA_CONFIG: await configFile(work, run) };
  const uncachedConfig = await configFile(work, run, 0);
  const now = Date.now();
  const docs = documents(now);
  const log = new KafkaEventLog({ brokers: stack.LAMINA_KAFKA_BROKERS.split(','), clientId: 'lamina-bench-serving' });
  const processes: LaminaProcess[] = [];
  const started = async (name: string, args: string[], extra: Record<string, string>, ready: RegExp) => {
    const p = await startLayer(name, args, { ...env, ...extra }, ready, { timeoutMs: 600_000 });
    processes.push(p);
    return p;
  };
  try {
    console.error(`[bench serving] ${events} events: producing to Kafka and writing the lake`);
    await runStep(join(here, 'prepare.ts'), [String(events)], { ...env, BENCH_START: String(Math.floor(now / HOUR) * HOUR - 72 * HOUR) });
    const [, batchMs] = await timed(() => runLayer(['batch', 'run'], env, 1_800_000));
    const [archiverPort, speedPort] = [await freePort(), await freePort()];
    await started('archiver', ['archive'], { PORT: String(archiverPort) }, /health endpoints listening/);
    await started('speed', ['speed'], { PORT: String(speedPort), LAMINA_INSTANCE: 'speed-1' }, /speed layer API listening/);
    const serveEnv = (port: number) => ({ PORT: String(port), LAMINA_SPEED_URLS: `http://127.0.0.1:${speedPort}`, NODE_OPTIONS: SERVE_NODE_OPTIONS, ...MALLOC_ENV });

    // Caching off: every answer scanned and merged anew.
    let port = await freePort();
    const [uncachedServe, serveReadyMs] = await timed(() => started('serve-uncached', ['serve'], { ...serveEnv(port), LAMINA_CONFIG: uncachedConfig }, /serving layer listening/));
    let base = `http://127.0.0.1:${port}`;
    const [, coldTop] = await timed(() => answerOf(base, docs.top));
    const [allAnswer, coldAll] = await timed(() => answerOf(base, docs.all));
    const groups = (allAnswer.all as unknown[]).length;
    console.error(`[bench serving] ${events}: serve ready in ${serveReadyMs.toFixed(0)} ms; cold answers ${coldTop.toFixed(0)} / ${coldAll.toFixed(0)} ms; ${groups} url × country groups`);
    const one = { connections: 1, seconds: settings.seconds };
    const uncachedTop = await load(`${base}/graphql`, JSON.stringify({ query: docs.top }), one);
    await loopDelay(base); // prom-client resets the event-loop delay histogram at each scrape
    const healthz = probe(`${base}/healthz`, 20);
    const uncachedAll = await load(`${base}/graphql`, JSON.stringify({ query: docs.all }), one);
    const healthzMs = await healthz.stop();
    const serverLoop = await loopDelay(base);
    const aliases = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: freshness { generation }`).join(' ')} }`;
    const refusals: number[] = [];
    let refusalCode = '';
    for (let i = 0; i < 20; i++) {
      const [answer, ms] = await timed(() => graphqlRequest(base, aliases));
      refusalCode = answer.errors?.[0]?.extensions?.code ?? 'ANSWERED';
      refusals.push(ms);
    }
    await uncachedServe.stop();

    // The default config (answers cached) from here on.
    port = await freePort();
    const serve = await started('serve', ['serve'], serveEnv(port), /serving layer listening/);
    base = `http://127.0.0.1:${port}`;
    const answers = { top: (await answerOf(base, docs.top)).top, all: (await answerOf(base, docs.all)).all };
    const many = { connections: 10, seconds: settings.seconds };
    const cachedTop = await load(`${base}/graphql`, JSON.stringify({ query: docs.top }), many);
    const cachedAll = await load(`${base}/graphql`, JSON.stringify({ query: docs.all }), many);
    const schema = printSchema(buildClientSchema((await answerOf(base, getIntrospectionQuery())) as unknown as IntrospectionQuery));
    await writeFile(join(work, 'schema.graphql'), schema);
    await writeFile(join(work, 'answers.json'), JSON.stringify(answers));
    const bare = await startServerStep(join(here, 'bare-yoga.ts'), [join(work, 'schema.graphql'), join(work, 'answers.json')]);
    const bareTop = await load(`${bare.base}/graphql`, JSON.stringify({ query: docs.top }), many);
    const bareAll = await load(`${bare.base}/graphql`, JSON.stringify({ query: docs.all }), many);
    await bare.stop();
    console.error(`[bench serving] ${events}: top uncached p50 ${uncachedTop.p50} ms, cached ${cachedTop.reqPerSec.toFixed(0)} req/s vs bare ${bareTop.reqPerSec.toFixed(0)}; all uncached p50 ${uncachedAll.p50} ms, cached ${cachedAll.reqPerSec.toFixed(0)} req/s vs bare ${bareAll.reqPerSec.toFixed(0)}`);

    // Ingest at full speed, alone and with a dashboard polling every second (twice each, interleaved).
    const body = ingestBody(now);
    const ingest = () => load(`${base}/v1/events`, body, { connections: 8, seconds: settings.seconds, graphql: false }).then((r) => (r.ok * 100) / r.seconds);
    const ingestAlone: number[] = [];
    const ingestPolled: number[] = [];
    const pollRounds: number[] = [];
    let pollFailed = 0;
    for (let round = 0; round < 2; round++) {
      ingestAlone.push(await ingest());
      const dashboard = pollEverySecond(base, [docs.top, docs.series, docs.totals, docs.all]);
      ingestPolled.push(await ingest());
      const polled = await dashboard.stop();
      pollRounds.push(...polled.rounds);
      pollFailed += polled.failed;
    }
    console.error(`[bench serving] ${events}: ingest ${ingestAlone.map((x) => x.toFixed(0)).join(', ')} events/s alone, ${ingestPolled.map((x) => x.toFixed(0)).join(', ')} while polled`);

    // A new generation: the archiver catches up, the batch runs, the serving layer switches.
    await archiverCaughtUp(`http://127.0.0.1:${archiverPort}/metrics`, log, run);
    const before = ((await answerOf(base, '{ freshness { generation } }')).freshness as { generation: number }).generation;
    await runLayer(['batch', 'run'], env, 1_800_000);
    const generationServedMs = await generationServed(base, before);
    const events10 = trickle(`${base}/v1/events`, ingestBody(now, 10), 100);
    const liveAll = await load(`${base}/graphql`, JSON.stringify({ query: docs.all }), one);
    const trickled = await events10.stop();
    // A failed answer's cause is in the serve process's warnings (a slow or unreachable speed instance, a deadline).
    if (liveAll.failed > 0) console.error(`[bench serving] ${events}: live answers failed; the serve process's warnings:\n${warningLines(serve.output, 40).join('\n')}`);
    console.error(`[bench serving] ${events}: all on generation 2 while events arrive: p50 ${liveAll.p50} ms (${trickled.posted} posts of 10 events)`);
    for (const doc of [docs.top, docs.all]) await load(`${base}/graphql`, JSON.stringify({ query: doc }), { connections: 10, seconds: Math.max(1, settings.seconds / 3) });
    const rssPeakMB = await rssMB(serve.child.pid!, 'VmHWM');
    const rssEndMB = await rssMB(serve.child.pid!, 'VmRSS');
    return {
      events, groups, batchMs, serveReadyMs, coldMs: { top: coldTop, all: coldAll },
      uncached: { top: uncachedTop, all: uncachedAll },
      healthz: { p99: percentile(healthzMs, 99), max: Math.max(...healthzMs), probes: healthzMs.length, loopP99: serverLoop.p99, loopMax: serverLoop.max },
      aliasRefusal: { medianMs: median(refusals), maxMs: Math.max(...refusals), code: refusalCode },
      cached: { top: cachedTop, all: cachedAll }, liveAll, liveEventsPosted: trickled.posted * 10, bare: { top: bareTop, all: bareAll },
      ingestAlone, ingestPolled, pollRoundP50: median(pollRounds), pollFailed, generationServedMs, rssPeakMB, rssEndMB,
    };
  } finally {
    for (const p of processes.reverse()) await p.stop();
    await log.deleteTopic(run).catch(() => undefined);
    await log.close();
    const store = new S3ObjectStore({ endpoint: stack.LAMINA_S3_ENDPOINT, bucket: stack.LAMINA_S3_BUCKET, region: stack.AWS_REGION ?? 'us-east-1', accessKeyId: stack.AWS_ACCESS_KEY_ID, secretAccessKey: stack.AWS_SECRET_ACCESS_KEY, prefix });
    for await (const object of store.list('')) await store.delete(object.key);
    store.destroy();
  }
}

export async function runServingBench(options: { smoke: boolean }): Promise<void> {
  const sizes = options.smoke ? [20_000] : [1_000_000, 4_000_000];
  const settings: Settings = { seconds: options.smoke ? 2 : 15, connections: 10 };
  const { env: stack, startedByUs } = await ensureStack({ log: (line) => console.error(`[stack] ${line}`) });
  const work = await mkdtemp(join(tmpdir(), 'lamina-bench-serving-'));
  const results: SizeResult[] = [];
  try {
    for (const events of sizes) results.push(await benchSize(events, stack, work, settings));
  } finally {
    await rm(work, { recursive: true, force: true });
    if (startedByUs) await stopStack({ log: (line) => console.error(`[stack] ${line}`) });
  }
  const markdown = report(results, settings);
  console.log(markdown);
  if (!options.smoke) await writeSection('serving', markdown);
}

function report(results: SizeResult[], settings: Settings): string {
  const ms = (x: number) => `${Math.round(x)} ms`;
  const rps = (x: number) => x.toLocaleString('en', { maximumFractionDigits: x < 10 ? 1 : 0 });
  const pair = (r: LoadResult) => `${ms(r.p50)} / ${ms(r.p99)}`;
  const failed = (r: LoadResult) => (r.failed > 0 ? ` (**${r.failed} failed**: ${Object.entries(r.failures).map(([why, n]) => `${n} ${why}`).join(', ')})` : '');
  const lines = [
    '## Serving layer (`npm run bench -- serving`)',
    '',
    'Distributed mode on the local stack (Kafka, MinIO), every layer its own process: archiver, one speed instance, one serving',
    `instance (run as docker-compose.yml runs it: NODE_OPTIONS=${SERVE_NODE_OPTIONS}, and the image's MALLOC_MMAP_THRESHOLD_=${MALLOC_ENV.MALLOC_MMAP_THRESHOLD_}). The lake holds a generated clickstream (50k users, 500 urls, 30 countries, 3 days) produced to Kafka and written`,
    'as if archived; `lamina batch run` computes `pageviews` (url × country × minute) and its hour and day roll-ups. Queries:',
    '**top** = last 24 h by HOUR grouped by url, top 10 by views, all four measures; **all** = all time by url × country, all',
    `four measures. Uncached: \`serving.cachedQueries: 0\`, one connection (one dashboard at a time). Cached: the default config,`,
    `${settings.connections} connections, against bare graphql-yoga (same schema by introspection, same documents, Lamina's answers as`,
    `constants) in the same script. autocannon, ${settings.seconds} s per figure; an answer with GraphQL errors counts as failed.`,
    'Ingest: HTTP, 100 events per request, 8 connections, alone and while a dashboard (top, the 24 h series, totals, all) polls',
    'every second, twice each.',
    '',
    '| events | query | Lamina uncached p50 / p99 | Lamina cached req/s (p50 / p99) | bare yoga req/s (p50 / p99) | cached / bare |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    for (const q of ['top', 'all'] as const) {
      lines.push(`| ${r.events.toLocaleString('en')} | ${q}${q === 'all' ? ` (${r.groups.toLocaleString('en')} rows)` : ''} | ${pair(r.uncached[q])}${failed(r.uncached[q])} | ${rps(r.cached[q].reqPerSec)} (${pair(r.cached[q])})${failed(r.cached[q])} | ${rps(r.bare[q].reqPerSec)} (${pair(r.bare[q])}) | ${(r.cached[q].reqPerSec / r.bare[q].reqPerSec).toFixed(2)} |`);
    }
  }
  lines.push(
    '',
    `All-time query on generation 2 (warmed when it was loaded), one connection, while 10 events are posted every 100 ms: every answer`,
    'merges a moved realtime part into the cached batch part, so the finished-answer cache cannot serve it.',
    '',
    '| events | all, live p50 / p99 | req/s | events posted meanwhile |',
    '|---|---|---|---|',
    ...results.map((r) => `| ${r.events.toLocaleString('en')} | ${pair(r.liveAll)}${failed(r.liveAll)} | ${rps(r.liveAll.reqPerSec)} | ${r.liveEventsPosted.toLocaleString('en')} |`),
    '',
    '| events | batch run | serve ready | first answers (cold) top / all | serve peak RSS (end) | generation 2 served after publication | 1,000 aliases refused | /healthz p99 / max under the all query (server event-loop delay p99 / max) | ingest events/s alone → polled | dashboard round p50 |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) =>
      `| ${r.events.toLocaleString('en')} | ${(r.batchMs / 1000).toFixed(1)} s | ${ms(r.serveReadyMs)} | ${ms(r.coldMs.top)} / ${ms(r.coldMs.all)} | ${Math.round(r.rssPeakMB)} MB (${Math.round(r.rssEndMB)} MB) | ${ms(r.generationServedMs)} | ${ms(r.aliasRefusal.medianMs)} (max ${ms(r.aliasRefusal.maxMs)}, ${r.aliasRefusal.code}) | ${r.healthz.p99.toFixed(1)} / ${r.healthz.max.toFixed(1)} ms (${r.healthz.probes} probes; loop ${r.healthz.loopP99.toFixed(0)} / ${r.healthz.loopMax.toFixed(0)} ms) | ${rps(median(r.ingestAlone))} → ${rps(median(r.ingestPolled))} | ${ms(r.pollRoundP50)}${r.pollFailed ? ` (**${r.pollFailed} failed**)` : ''} |`),
    '',
    '| goal | measured | met |',
    '|---|---|---|',
  );
  const goal = (name: string, measured: string, ok: boolean) => lines.push(`| ${name} | ${measured} | ${ok ? 'yes' : '**no**'} |`);
  for (const r of results) {
    const n = r.events.toLocaleString('en');
    const clean = (x: LoadResult) => x.failed === 0;
    goal(`${n}: top uncached p50 ≤ 50 ms, p99 ≤ 200 ms`, pair(r.uncached.top), clean(r.uncached.top) && r.uncached.top.p50 <= 50 && r.uncached.top.p99 <= 200);
    goal(`${n}: all ≤ 300 ms (p50) while events arrive, generation warmed`, `${ms(r.liveAll.p50)} (p99 ${ms(r.liveAll.p99)}; cold, caching off: ${ms(r.uncached.all.p50)})`, clean(r.liveAll) && r.liveAll.p50 <= 300);
    for (const q of ['top', 'all'] as const) {
      const ratio = r.cached[q].reqPerSec / r.bare[q].reqPerSec;
      goal(`${n}: ${q} cached req/s ≥ 0.5 × bare yoga`, `${ratio.toFixed(2)}×`, clean(r.cached[q]) && ratio >= 0.5);
    }
    goal(`${n}: serve RSS ≤ 600 MB with two generations`, `${Math.round(r.rssPeakMB)} MB peak`, r.rssPeakMB <= 600);
    goal(`${n}: a new generation served ≤ 5 s after publication`, ms(r.generationServedMs), r.generationServedMs <= 5000);
    const drop = 1 - median(r.ingestPolled) / median(r.ingestAlone);
    goal(`${n}: ingest falls ≤ 20 % while a dashboard polls`, `${(100 * drop).toFixed(1)} %${r.pollFailed ? `, ${r.pollFailed} failed dashboard rounds` : ''}`, drop <= 0.2 && r.pollFailed === 0);
    goal(`${n}: 1,000 aliases refused < 100 ms`, `${ms(r.aliasRefusal.maxMs)} max (${r.aliasRefusal.code})`, r.aliasRefusal.maxMs < 100 && r.aliasRefusal.code !== 'ANSWERED');
    goal(`${n}: /healthz does not wait on queries (p99 ≤ 20 ms)`, `${r.healthz.p99.toFixed(1)} ms (server event-loop delay p99 ${r.healthz.loopP99.toFixed(0)} ms)`, r.healthz.p99 <= 20);
  }
  lines.push('');
  return lines.join('\n');
}
