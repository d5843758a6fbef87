/**
 * The one place that reads the environment. Everything below the CLI gets explicit option objects,
 * so the layers and adapters stay testable and free of hidden inputs.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type KafkaEventLogOptions, type KafkaSasl } from '@lamina/shared';

type KafkaSsl = NonNullable<KafkaEventLogOptions['ssl']>;

/** Measured under full-speed embedded ingest; see docs/operations.md, "Embedded mode under load". */
const DEFAULT_CONSUMERS_NICE = 10;

export interface RuntimeOptions {
  configPath: string | undefined;
  dataDir: string;
  /** Local scratch space of the batch engine (spills, staged S3 files); emptied after each run. */
  scratchDir: string;
  port: number;
  logLevel: string;
  /** Topic name override (LAMINA_TOPIC); the config's `topic` otherwise. */
  topic: string | undefined;
  /** sessionTimeoutMs: how long before a dead group member's partitions are reassigned. */
  kafka: { brokers: string[]; clientId: string; sessionTimeoutMs: number; sasl?: KafkaSasl; ssl?: KafkaSsl } | undefined;
  s3: { endpoint: string | undefined; bucket: string; region: string; accessKeyId: string | undefined; secretAccessKey: string | undefined; prefix: string } | undefined;
  speedUrls: string[];
  /** This process's speed instance name (distributed mode). */
  instance: string;
  /** How long HTTP ingest waits for the log to acknowledge before answering 503 (LAMINA_INGEST_TIMEOUT_MS). */
  ingestTimeoutMs: number;
  /**
   * Embedded mode: how many nice steps the consumers thread (archiver, speed layer) runs below the
   * process, 0–19 (LAMINA_CONSUMERS_NICE). Above 0, a saturated CPU goes to ingest first and the folds
   * catch up after the burst; an idle CPU is theirs either way.
   */
  consumersNice: number;
  /**
   * npm started this process (`npx lamina …`, `npm start`): npm's `sh -c` does not pass SIGTERM on,
   * so the process watches its parent instead (see process-lifetime.ts).
   */
  launchedByNpm: boolean;
  /** Serving keys per scope (LAMINA_READ_KEYS, LAMINA_WRITE_KEYS, LAMINA_ADMIN_KEYS, comma-separated); secrets: never logged. */
  access: { read: string[]; write: string[]; admin: string[] };
  /** LAMINA_CORS_ORIGINS: origins a browser may call serving from (comma-separated, or *). */
  corsOrigins: string[];
}

function keys(env: NodeJS.ProcessEnv, name: string): string[] {
  const list = (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const short = list.findIndex((k) => k.length < 16);
  // The variable is named, never the key.
  if (short >= 0) throw new ConfigError(`${name}: key ${short + 1} is shorter than 16 characters; use long random keys (e.g. \`openssl rand -hex 24\`)`);
  return list;
}

/** LAMINA_KAFKA_SASL_MECHANISM + LAMINA_KAFKA_USERNAME/PASSWORD; the password is never echoed. */
function kafkaSasl(env: NodeJS.ProcessEnv): KafkaSasl | undefined {
  const mechanism = env.LAMINA_KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  if (!mechanism) {
    if (env.LAMINA_KAFKA_USERNAME || env.LAMINA_KAFKA_PASSWORD) throw new ConfigError('LAMINA_KAFKA_USERNAME/PASSWORD are set but LAMINA_KAFKA_SASL_MECHANISM is not: set it to scram-sha-512, scram-sha-256 or plain');
    return undefined;
  }
  if (mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') throw new ConfigError(`LAMINA_KAFKA_SASL_MECHANISM must be scram-sha-512, scram-sha-256 or plain, got '${mechanism}'`);
  const username = env.LAMINA_KAFKA_USERNAME ?? '';
  const password = env.LAMINA_KAFKA_PASSWORD ?? '';
  if (!username || !password) throw new ConfigError(`LAMINA_KAFKA_SASL_MECHANISM is ${mechanism}: set LAMINA_KAFKA_USERNAME and LAMINA_KAFKA_PASSWORD too`);
  return { mechanism, username, password };
}

/** LAMINA_KAFKA_SSL: true (the system's CAs) or the path of a PEM file with the brokers' CA. */
function kafkaSsl(env: NodeJS.ProcessEnv): KafkaSsl | undefined {
  const raw = env.LAMINA_KAFKA_SSL?.trim();
  if (!raw || raw === 'false') return undefined;
  if (raw === 'true') return true;
  try {
    return { ca: readFileSync(resolve(raw), 'utf8') };
  } catch (cause) {
    throw new ConfigError(`LAMINA_KAFKA_SSL is '${raw}': give true, or the path of a readable PEM file with the brokers' CA (${(cause as Error).message})`, { cause });
  }
}

/** An integer variable within [min, max], or `fallback` when unset; `expected` says what it must be. */
function integerVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, expected: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be ${expected}, got '${raw}'`);
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return integerVar(env, name, fallback, 1, Infinity, 'a positive integer (milliseconds)');
}

function withKafkaSecurity<T extends object>(env: NodeJS.ProcessEnv, kafka: T): T & { sasl?: KafkaSasl; ssl?: KafkaSsl } {
  const sasl = kafkaSasl(env);
  const ssl = kafkaSsl(env);
  return { ...kafka, ...(sasl ? { sasl } : {}), ...(ssl !== undefined ? { ssl } : {}) };
}

export function readRuntimeOptions(env: NodeJS.ProcessEnv = process.env): RuntimeOptions {
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a TCP port number, got '${env.PORT}'`);
  const brokers = (env.LAMINA_KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const bucket = env.LAMINA_S3_BUCKET?.trim();
  if (env.LAMINA_S3_ENDPOINT && !bucket) throw new ConfigError('LAMINA_S3_ENDPOINT is set but LAMINA_S3_BUCKET is not: name the bucket of the lake');
  return {
    configPath: env.LAMINA_CONFIG ? resolve(env.LAMINA_CONFIG) : undefined,
    dataDir: resolve(env.LAMINA_DATA_DIR ?? './data'),
    scratchDir: resolve(env.LAMINA_SCRATCH_DIR ?? join(env.LAMINA_DATA_DIR ?? './data', 'scratch')),
    port,
    logLevel: env.LAMINA_LOG_LEVEL ?? 'info',
    topic: env.LAMINA_TOPIC || undefined,
    kafka: brokers.length > 0 ? withKafkaSecurity(env, { brokers, clientId: env.LAMINA_KAFKA_CLIENT_ID ?? 'lamina', sessionTimeoutMs: positiveInt(env, 'LAMINA_KAFKA_SESSION_TIMEOUT_MS', 10_000) }) : undefined,
    s3: bucket
      ? {
          endpoint: env.LAMINA_S3_ENDPOINT || undefined,
          bucket,
          region: env.AWS_REGION ?? 'us-east-1',
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          prefix: env.LAMINA_S3_PREFIX ?? '',
        }
      : undefined,
    speedUrls: (env.LAMINA_SPEED_URLS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    instance: env.LAMINA_INSTANCE ?? `speed-${process.pid}`,
    ingestTimeoutMs: positiveInt(env, 'LAMINA_INGEST_TIMEOUT_MS', 10_000),
    consumersNice: integerVar(env, 'LAMINA_CONSUMERS_NICE', DEFAULT_CONSUMERS_NICE, 0, 19, "a number of nice steps below the process's priority, from 0 (none) to 19"),
    launchedByNpm: Boolean(env.npm_lifecycle_event),
    access: { read: keys(env, 'LAMINA_READ_KEYS'), write: keys(env, 'LAMINA_WRITE_KEYS'), admin: keys(env, 'LAMINA_ADMIN_KEYS') },
    corsOrigins: (env.LAMINA_CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  };
}
