/**
 * Prepares the serving benchmark's data on the real stack: `prepare.ts <events> [seed]`
 * produces a generated clickstream to Kafka and writes the same events, with the positions Kafka gave,
 * into the lake on S3 (as if archived). Env: the stack's (LAMINA_KAFKA_BROKERS, LAMINA_S3_*, AWS_*),
 * LAMINA_TOPIC, LAMINA_S3_PREFIX, BENCH_START (first event time, ms). Prints one JSON line.
 */
import { KafkaEventLog, S3ObjectStore, openLake } from '@lamina/shared';
import { benchConfig } from '../batch/bench-config.js';
import { writeClickstream } from '../batch/clickstream-data.js';

const [events, seed] = process.argv.slice(2);
const env = process.env;
const config = benchConfig({}, { topic: env.LAMINA_TOPIC!, partitions: 4 });
const log = new KafkaEventLog({ brokers: env.LAMINA_KAFKA_BROKERS!.split(','), clientId: 'lamina-bench-prepare' });
const store = new S3ObjectStore({ endpoint: env.LAMINA_S3_ENDPOINT!, bucket: env.LAMINA_S3_BUCKET!, region: env.AWS_REGION ?? 'us-east-1', accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, prefix: env.LAMINA_S3_PREFIX! });
const started = performance.now();
await log.ensureTopic(config.topic, config.partitions);
const lake = await openLake(store, config);
const start = Number(env.BENCH_START);
const offsets = await writeClickstream(lake, config, { events: Number(events), users: 50_000, urls: 500, countries: 30, days: 3, start, seed: Number(seed ?? 1) }, { topic: config.topic, produce: (topic, records) => log.produce(topic, records) });
await log.close();
store.destroy();
console.log(JSON.stringify({ ms: performance.now() - started, offsets }));
