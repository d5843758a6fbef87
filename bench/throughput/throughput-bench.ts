/**
 * The throughput benchmark (issue: every layer near its limit). Each Lamina layer against the best
 * tool a user could pick instead, on the same machine in the same round; three rounds, medians:
 *   1. HTTP ingest in embedded mode (`lamina dev`: every layer in one process) against a bare Node
 *      server that parses, appends and fdatasyncs each request; embedded idle RSS and RSS per event;
 *   2. HTTP ingest into Kafka (`lamina serve`, acks=all, idempotent) against Kafka's ProducerPerformance
 *      with as many records of the same size;
 *   3. the archiver (Kafka → Parquet on MinIO) over the events of 2 against ConsumerPerformance reading
 *      the same topic;
 *   4. the speed fold (every default view) over the same events against a bare kafkajs consumer that
 *      only decodes JSON; then, for linearity, the fold of N and of 2N generated events whose every
 *      event is a group of its own (what a rebuild after a new generation folds: the events since the
 *      watermark; the ingest's events repeat a thousand groups, so they cannot be the 1× of it), and
 *      realtime state bytes per view row between those two;
 *   5. freshness: posted → visible in a GraphQL answer, at 2k and 20k events/s (archive, speed and
 *      serve running, as deployed).
 * Results to bench/results/throughput.md, a chart to bench/results/throughput.svg, and BENCHMARKS.md.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaEventLog, validateConfig } from '@lamina/shared';
import example from '../../cli/src/example-config.js';
import { ensureStack, stopStack, type StackEnv } from '../../infra/stack-lib.mjs';
import { freePort, startLayer, type LaminaProcess } from '../../test/support/processes.js';
import { produceEvents } from '../../test/support/log-facts.js';
import { cpuSeconds, median, rssMB, runStep, startServerStep } from '../support/child.js';
import { percentile } from '../serving/http-load.js';
import { writeSection } from '../support/report.js';
import { eventBytes, pageView } from './event-bodies.js';
import { postAtFullSpeed, type IngestLoad } from './ingest-load.js';
import { consumerPerformance, producerPerformance } from './kafka-tools.js';
import { metricSums, waitForMetric } from './layer-metrics.js';
import { measureFreshness, type Freshness } from './freshness.js';
import { ratioChartSvg } from './ratio-chart.js';

const here = new URL('.', import.meta.url).pathname;
const RESULTS = join(here, '..', 'results');

interface Settings {
  rounds: number;
  /** Seconds of each full-speed embedded ingest run. */
  seconds: number;
  /** Events through Kafka ingest, the archiver and the speed fold (the rebuild folds twice as many). */
  events: number;
  probes: number;
  rates: [number, number];
}

const FULL: Settings = { rounds: 3, seconds: 10, events: 200_000, probes: 30, rates: [2_000, 20_000] };
const SMOKE: Settings = { rounds: 1, seconds: 2, events: 4_000, probes: 3, rates: [200, 2_000] };

/** One full-speed ingest run and the CPU its server used during it. */
interface IngestRun extends IngestLoad {
  /** CPU time (all the server's threads) per acknowledged event, in microseconds. */
  cpuMicrosPerEvent: number;
  /** CPU seconds per wall second: how many of the machine's cores the server kept busy. */
  coresBusy: number;
  /** The same for the load generator (this process: autocannon), which shares the machine. */
  loadCores: number;
}

interface Round {
  /** foldBehind: events acknowledged but not yet folded when the load ended; catchUpSeconds: until they were. */
  embedded: { lamina: IngestRun; bare: IngestRun; idleRssMB: number; rssBytesPerEvent: number; foldBehind: number; catchUpSeconds: number };
  kafka: { lamina: IngestLoad; producer: { eventsPerSec: number; p99: number } };
  archiver: { lamina: number; consumer: number };
  speed: { lamina: number; bare: number; rows: number; stateBytesPerRow: number; secondsPerMillion: number; secondsPerMillionDouble: number };
  freshness: Freshness[];
}

/** Posts at full speed to `url` and reads the CPU the server `pid` spent meanwhile. */
async function measuredIngest(pid: number, url: string, options: Parameters<typeof postAtFullSpeed>[1]): Promise<IngestRun> {
  const before = await cpuSeconds(pid);
  const own = process.cpuUsage();
  const load = await postAtFullSpeed(url, options);
  const cpu = (await cpuSeconds(pid)) - before;
  const { user, system } = process.cpuUsage(own);
  return { ...load, cpuMicrosPerEvent: (cpu * 1e6) / (load.requests * options.eventsPerRequest), coresBusy: cpu / load.seconds, loadCores: (user + system) / 1e6 / load.seconds };
}

const EMBEDDED = { LAMINA_KAFKA_BROKERS: '', LAMINA_S3_BUCKET: '', LAMINA_S3_ENDPOINT: '', LAMINA_TOPIC: '' };

async function embeddedIngest(work: string, settings: Settings, round: number): Promise<Round['embedded']> {
  const dir = await mkdtemp(join(work, 'embedded-'));
  const port = await freePort();
  const dev = await startLayer('dev', ['dev', '--no-schedule'], { ...EMBEDDED, LAMINA_DATA_DIR: dir, PORT: String(port) }, /Lamina is running/);
  let lamina: IngestRun;
  let idleRssMB: number;
  let rssBytesPerEvent: number;
  let foldBehind: number;
  let catchUpSeconds: number;
  try {
    await new Promise((r) => setTimeout(r, 3000));
    idleRssMB = await rssMB(dev.child.pid!, 'VmRSS');
    lamina = await measuredIngest(dev.child.pid!, `http://127.0.0.1:${port}/v1/events`, { connections: 4, seconds: settings.seconds, eventsPerRequest: 1000, run: `e${round}` });
    const ended = performance.now();
    // The consumers thread runs at a lower priority (LAMINA_CONSUMERS_NICE): what it owes after the burst.
    // Every event here is new (unique ids) and there is one generation state (no batch runs), so the
    // fold has caught up exactly when it has folded as many records as ingest accepted.
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const [accepted = 0, folded = 0] = await metricSums(metricsUrl, ['lamina_ingest_events_accepted_total', 'lamina_speed_records_folded_total']);
    rssBytesPerEvent = ((await rssMB(dev.child.pid!, 'VmRSS')) - idleRssMB) * 2 ** 20 / (lamina.requests * 1000);
    foldBehind = Math.max(0, accepted - folded);
    catchUpSeconds = ((await waitForMetric(metricsUrl, 'lamina_speed_records_folded_total', accepted, 120_000)) - ended) / 1000;
  } finally {
    await dev.stop();
  }
  const bareDir = await mkdtemp(join(work, 'bare-'));
  const server = await startServerStep(join(here, 'bare-ingest-server.ts'), [bareDir]);
  try {
    const bare = await measuredIngest(server.pid, `${server.base}/v1/events`, { connections: 4, seconds: settings.seconds, eventsPerRequest: 1000, run: `b${round}` });
    return { lamina, bare, idleRssMB, rssBytesPerEvent, foldBehind, catchUpSeconds };
  } finally {
    await server.stop();
    await rm(bareDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

/** Produces `count` valid page views to `topic` (validated and encoded as ingest does), for the rebuild run. */
async function fillTopic(log: KafkaEventLog, topic: string, count: number, run: string): Promise<void> {
  const config = { ...validateConfig(example), topic };
  const now = Date.now();
  for (let at = 0; at < count; at += 5_000) {
    const events = Array.from({ length: Math.min(5_000, count - at) }, (_, k) => pageView(`${run}-${at + k}`, at + k, now - ((at + k) % 3_600_000)));
    await produceEvents(log, config, events);
  }
}

async function timedFold(name: string, args: string[], env: Record<string, string>, ready: RegExp, metric: string, count: number): Promise<{ seconds: number; process: LaminaProcess; metricsUrl: string; heap: number; rows: number }> {
  const port = await freePort();
  const process = await startLayer(name, args, { ...env, PORT: String(port) }, ready, { timeoutMs: 120_000 });
  // From ready (as the baselines' clocks start after their runtime loaded; group join included for all).
  const started = performance.now();
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const done = await waitForMetric(metricsUrl, metric, count);
  // External memory too: the dedup id tables are typed arrays, whose bytes are outside the JS heap.
  const [heap = 0, external = 0, rows = 0] = await metricSums(metricsUrl, ['lamina_process_nodejs_heap_size_used_bytes', 'lamina_process_nodejs_external_memory_bytes', 'lamina_speed_state_rows']);
  return { seconds: (done - started) / 1000, process, metricsUrl, heap: heap + external, rows };
}

async function kafkaRound(stack: StackEnv, settings: Settings, round: number): Promise<Omit<Round, 'embedded'>> {
  const run = `bench-throughput-${round}-${Date.now().toString(36)}`;
  const brokers = stack.LAMINA_KAFKA_BROKERS;
  const log = new KafkaEventLog({ brokers: brokers.split(','), clientId: 'lamina-bench-throughput' });
  const env = (topic: string): Record<string, string> => ({ ...stack, LAMINA_TOPIC: topic, LAMINA_S3_PREFIX: `${topic}/`, LAMINA_LOG_LEVEL: 'info' });
  const processes: LaminaProcess[] = [];
  try {
    // 2. HTTP ingest into Kafka, then Kafka's producer tool with as many records of the same size.
    await log.ensureTopic(run, 4);
    await log.ensureTopic(`${run}-perf`, 4);
    const servePort = await freePort();
    // Ingest alone: no speed instance competes for the cores (serve needs a URL; nothing listens on port 9).
    const serve = await startLayer('serve', ['serve'], { ...env(run), PORT: String(servePort), LAMINA_SPEED_URLS: 'http://127.0.0.1:9' }, /serving layer listening/);
    processes.push(serve);
    const lamina = await postAtFullSpeed(`http://127.0.0.1:${servePort}/v1/events`, { connections: 4, requests: settings.events / 1000, eventsPerRequest: 1000, run });
    if (lamina.requests * 1000 !== settings.events) throw new Error(`Kafka ingest: ${lamina.requests * 1000} of ${settings.events} events acknowledged (${lamina.failed} failed requests)`);
    await serve.stop();
    const producer = await producerPerformance(brokers, `${run}-perf`, settings.events, eventBytes());

    // 3. The archiver over those events, then ConsumerPerformance over the same topic.
    const archive = await timedFold('archiver', ['archive'], env(run), /health endpoints listening/, 'lamina_archiver_frontier_offset', settings.events);
    processes.push(archive.process);
    await archive.process.stop();
    const consumer = await consumerPerformance(brokers, run, settings.events);

    // 4. The speed fold over them, its state, then a bare kafkajs consumer; the fold of twice as many.
    const speed = await timedFold('speed', ['speed'], { ...env(run), LAMINA_INSTANCE: 'bench' }, /speed layer API listening/, 'lamina_speed_records_folded_total', settings.events);
    processes.push(speed.process);
    await speed.process.stop();
    const bare = await runStep<{ eventsPerSec: number }>(join(here, 'bare-fold-consumer.ts'), [brokers, run, String(settings.events)]);
    await log.ensureTopic(`${run}-single`, 4);
    await fillTopic(log, `${run}-single`, settings.events, `${run}-single`);
    const single = await timedFold('speed', ['speed'], { ...env(`${run}-single`), LAMINA_INSTANCE: 'bench' }, /speed layer API listening/, 'lamina_speed_records_folded_total', settings.events);
    processes.push(single.process);
    await single.process.stop();
    await log.ensureTopic(`${run}-double`, 4);
    await fillTopic(log, `${run}-double`, 2 * settings.events, `${run}-double`);
    const double = await timedFold('speed', ['speed'], { ...env(`${run}-double`), LAMINA_INSTANCE: 'bench' }, /speed layer API listening/, 'lamina_speed_records_folded_total', 2 * settings.events);
    processes.push(double.process);
    await double.process.stop();

    // 5. Freshness with the layers as deployed.
    const fresh = `${run}-fresh`;
    await log.ensureTopic(fresh, 4);
    const [archivePort, speedPort, port] = [await freePort(), await freePort(), await freePort()];
    processes.push(await startLayer('archiver', ['archive'], { ...env(fresh), PORT: String(archivePort) }, /health endpoints listening/));
    processes.push(await startLayer('speed', ['speed'], { ...env(fresh), PORT: String(speedPort), LAMINA_INSTANCE: 'fresh' }, /speed layer API listening/));
    processes.push(await startLayer('serve', ['serve'], { ...env(fresh), PORT: String(port), LAMINA_SPEED_URLS: `http://127.0.0.1:${speedPort}` }, /serving layer listening/));
    const freshness: Freshness[] = [];
    for (const perSecond of settings.rates) freshness.push(await measureFreshness(`http://127.0.0.1:${port}`, { perSecond, probes: settings.probes, run: `${fresh}-${perSecond}` }));

    return {
      kafka: { lamina, producer },
      archiver: { lamina: settings.events / archive.seconds, consumer: consumer.eventsPerSec },
      speed: {
        lamina: settings.events / speed.seconds,
        bare: bare.eventsPerSec,
        rows: double.rows,
        // Marginal heap per row between the two folds: the process's own heap cancels out.
        stateBytesPerRow: (double.heap - single.heap) / (double.rows - single.rows),
        secondsPerMillion: single.seconds / (settings.events / 1e6),
        secondsPerMillionDouble: double.seconds / ((2 * settings.events) / 1e6),
      },
      freshness,
    };
  } finally {
    for (const p of processes.reverse()) await p.stop();
    await log.close();
  }
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const ms = (v: number) => `${Math.round(v)} ms`;
const verdict = (ratio: number, goal: number) => `${ratio.toFixed(2)} ${ratio >= goal ? '(met)' : '**(missed)**'}`;

function report(settings: Settings, rounds: Round[]): { markdown: string; svg: string } {
  const med = (f: (r: Round) => number) => median(rounds.map(f));
  const embeddedRatio = med((r) => r.embedded.lamina.eventsPerSec / r.embedded.bare.eventsPerSec);
  const cpuRatio = med((r) => r.embedded.bare.cpuMicrosPerEvent / r.embedded.lamina.cpuMicrosPerEvent);
  const kafkaRatio = med((r) => r.kafka.lamina.eventsPerSec / r.kafka.producer.eventsPerSec);
  const archiverRatio = med((r) => r.archiver.lamina / r.archiver.consumer);
  const speedRatio = med((r) => r.speed.lamina / r.speed.bare);
  const linearity = med((r) => r.speed.secondsPerMillionDouble / r.speed.secondsPerMillion);
  const fresh = settings.rates.map((rate, i) => {
    const probes = rounds.flatMap((r) => r.freshness[i]!.probes);
    return { rate, load: med((r) => r.freshness[i]!.loadPerSec), p50: percentile(probes, 50), p99: percentile(probes, 99), count: probes.length };
  });
  const high = fresh[1]!;
  const lines = [
    '## Throughput: ingest, archiver, speed fold, freshness (`npm run bench -- throughput`)',
    '',
    `Medians of ${settings.rounds} round(s); each round measures Lamina and its baseline one after the other on the same machine. ` +
      `Events are page views of ${eventBytes()} bytes as JSON, posted in requests of 1,000 by 4 connections; Kafka and MinIO are the local stack (\`infra/\`), one broker. ` +
      'Figures in events per second unless stated.',
    '',
    '| scenario | Lamina | baseline, same round | ratio | goal |',
    '|---|---|---|---|---|',
    `| HTTP ingest, embedded (\`lamina dev\`: archiver and speed fold in the same process, on a thread of their own) | ${n(med((r) => r.embedded.lamina.eventsPerSec))}, p99 ${ms(med((r) => r.embedded.lamina.p99))} | bare Node server, JSON.parse + append + fdatasync per request: ${n(med((r) => r.embedded.bare.eventsPerSec))}, p99 ${ms(med((r) => r.embedded.bare.p99))} | ${verdict(embeddedRatio, 0.5)} | ≥ 0.5 |`,
    `| CPU per acknowledged event in those two runs (user + system, all threads: GC, libuv) | ${med((r) => r.embedded.lamina.cpuMicrosPerEvent).toFixed(1)} µs, ${med((r) => r.embedded.lamina.coresBusy).toFixed(2)} of ${cpus().length} cores busy (load generator: ${med((r) => r.embedded.lamina.loadCores).toFixed(2)}) | ${med((r) => r.embedded.bare.cpuMicrosPerEvent).toFixed(1)} µs, ${med((r) => r.embedded.bare.coresBusy).toFixed(2)} cores busy (load generator: ${med((r) => r.embedded.bare.loadCores).toFixed(2)}) | ${cpuRatio.toFixed(2)} (baseline's CPU per event / Lamina's) | — |`,
    `| the speed fold after that embedded burst (its thread below ingest's priority: \`LAMINA_CONSUMERS_NICE\`) | ${n(med((r) => r.embedded.foldBehind))} events behind when the load ended; caught up ${med((r) => r.embedded.catchUpSeconds).toFixed(1)} s later | — | — | — |`,
    `| HTTP ingest into Kafka (\`lamina serve\`, acks=all, idempotent), ${n(settings.events)} events | ${n(med((r) => r.kafka.lamina.eventsPerSec))}, p99 ${ms(med((r) => r.kafka.lamina.p99))} | Kafka's ProducerPerformance, ${n(settings.events)} records of ${eventBytes()} B, acks=all, idempotent: ${n(med((r) => r.kafka.producer.eventsPerSec))}, p99 ${ms(med((r) => r.kafka.producer.p99))} | ${verdict(kafkaRatio, 0.5)} | ≥ 0.5 |`,
    `| archiver, Kafka → Parquet on MinIO, ${n(settings.events)} events | ${n(med((r) => r.archiver.lamina))} | ConsumerPerformance over the same topic: ${n(med((r) => r.archiver.consumer))} | ${verdict(archiverRatio, 0.5)} | ≥ 0.5 |`,
    `| speed fold, both default views, the ${n(settings.events)} events ingested above (their 1,000 distinct page views repeat) | ${n(med((r) => r.speed.lamina))} | bare kafkajs consumer decoding JSON: ${n(med((r) => r.speed.bare))} | ${verdict(speedRatio, 0.5)} | ≥ 0.5 |`,
    ...fresh.map((f) => `| freshness at ${n(f.rate)} events/s (achieved ${n(f.load)}): posted → visible in GraphQL | p50 ${ms(f.p50)}, p99 ${ms(f.p99)} (${f.count} probes) | — | — | ${f.rate === high.rate ? `p99 ≤ 1 s: ${f.p99 <= 1000 ? 'met' : '**missed**'}` : '—'} |`),
    `| speed rebuild (the fold from the watermark; generated events, each a group of its own) | ${med((r) => r.speed.secondsPerMillion).toFixed(1)} s per million events at ${n(settings.events)}; ${med((r) => r.speed.secondsPerMillionDouble).toFixed(1)} s at ${n(2 * settings.events)} | — | ${linearity.toFixed(2)} (per-million time at 2× / at 1×) | linear: ${linearity <= 1.2 ? 'met' : '**missed**'} |`,
    `| memory | realtime state ${n(med((r) => r.speed.stateBytesPerRow))} B of memory per view row (heap used plus external memory, no forced GC, between the folds of ${n(settings.events)} and ${n(2 * settings.events)} events: ${n(med((r) => r.speed.rows))} rows); embedded ingest ${n(med((r) => r.embedded.rssBytesPerEvent))} B RSS per event; embedded idle RSS ${n(med((r) => r.embedded.idleRssMB))} MB | — | — | bounded, flat |`,
    '',
  ];
  const bars = [
    { label: 'HTTP ingest, embedded', ratio: embeddedRatio, goal: 0.5 },
    { label: 'HTTP ingest into Kafka', ratio: kafkaRatio, goal: 0.5 },
    { label: 'archiver → Parquet on MinIO', ratio: archiverRatio, goal: 0.5 },
    { label: 'speed fold', ratio: speedRatio, goal: 0.5 },
  ];
  return { markdown: lines.join('\n'), svg: ratioChartSvg('Lamina throughput as a ratio of its baseline (median of rounds)', bars) };
}

export async function runThroughputBench({ smoke }: { smoke: boolean }): Promise<void> {
  const settings = smoke ? SMOKE : FULL;
  const { env: stack, startedByUs } = await ensureStack({ log: (line) => console.error(`[stack] ${line}`) });
  const work = await mkdtemp(join(tmpdir(), 'lamina-bench-throughput-'));
  const rounds: Round[] = [];
  try {
    for (let round = 0; round < settings.rounds; round++) {
      console.error(`[bench throughput] round ${round + 1} of ${settings.rounds}: embedded ingest`);
      const embedded = await embeddedIngest(work, settings, round);
      console.error(`[bench throughput] round ${round + 1}: Kafka ingest, archiver, speed fold, freshness`);
      rounds.push({ embedded, ...(await kafkaRound(stack, settings, round)) });
      console.error(`[bench throughput] round ${round + 1}: ${JSON.stringify(rounds.at(-1))}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
    if (startedByUs) await stopStack();
  }
  const { markdown, svg } = report(settings, rounds);
  console.log(markdown);
  if (!smoke) {
    await writeFile(join(RESULTS, 'throughput.svg'), svg);
    await writeSection('throughput', `${markdown}\n![Lamina throughput as a ratio of its baseline](bench/results/throughput.svg)\n`);
  }
}
