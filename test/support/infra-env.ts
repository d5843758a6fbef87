/**
 * The real Kafka + S3 (MinIO) the infrastructure tests run against, from the environment the test
 * runner exports (the output of `npm run stack:up`). Missing infrastructure fails CI; on a developer
 * machine the caller skips with `test(name, { skip: INFRA_SKIP_REASON }, ...)` after a loud warning.
 */

export interface InfraEnv {
  kafkaBrokers: string[];
  /** The broker's SASL/SCRAM-over-TLS listener (infra/kafka-service.mjs) and the path of its CA (PEM); absent on a stack started before it existed. */
  kafkaSasl: { brokers: string[]; username: string; password: string; caFile: string | undefined } | undefined;
  s3: {
    endpoint: string;
    bucket: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
}

const REQUIRED = ['LAMINA_KAFKA_BROKERS', 'LAMINA_S3_ENDPOINT', 'LAMINA_S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
const HOW_TO =
  'start the local stack and export its env: cd /work/main && set -a; eval "$(npm run -s stack:up)"; set +a   (see infra/README.md)';

export const INFRA_SKIP_REASON = `no Kafka/S3 infrastructure in the environment (${REQUIRED.join(', ')}); ${HOW_TO}`;

let warned = false;

export function requireInfra(env: NodeJS.ProcessEnv = process.env): InfraEnv | undefined {
  const missing = REQUIRED.filter((name) => !env[name]?.trim());
  if (missing.length === 0) {
    return {
      kafkaBrokers: env.LAMINA_KAFKA_BROKERS!.split(',').map((b) => b.trim()).filter(Boolean),
      kafkaSasl: env.LAMINA_STACK_KAFKA_SASL_BROKERS
        ? { brokers: env.LAMINA_STACK_KAFKA_SASL_BROKERS.split(','), username: env.LAMINA_STACK_KAFKA_SCRAM_USER ?? '', password: env.LAMINA_STACK_KAFKA_SCRAM_PASSWORD ?? '', caFile: env.LAMINA_STACK_KAFKA_TLS_CA }
        : undefined,
      s3: {
        endpoint: env.LAMINA_S3_ENDPOINT!,
        bucket: env.LAMINA_S3_BUCKET!,
        region: env.AWS_REGION?.trim() || 'us-east-1',
        accessKeyId: env.AWS_ACCESS_KEY_ID!,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
      },
    };
  }
  const message = `Infrastructure tests need ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not set. To run them: ${HOW_TO}`;
  if (env.CI === 'true') {
    throw new Error(`${message}. In CI these tests must run, not be skipped: make the job start the stack first.`);
  }
  if (!warned) {
    warned = true;
    const bar = '!'.repeat(100);
    process.stderr.write(`\n${bar}\n!!! SKIPPING INFRASTRUCTURE TESTS (Kafka, S3)\n!!! ${message}\n${bar}\n\n`);
  }
  return undefined;
}

/** The venv python with delta-rs (infra/python-env.mjs) the test runner provisions; same rules as requireInfra. */
export function requirePython(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const python = env.LAMINA_TEST_PYTHON?.trim();
  if (python) return python;
  const message = 'LAMINA_TEST_PYTHON is not set (the test runner provisions it: node scripts/run-tests.mjs, or npm test)';
  if (env.CI === 'true') throw new Error(`${message}. In CI the interop tests must run, not be skipped.`);
  process.stderr.write(`\n!!! SKIPPING delta-rs INTEROP TESTS: ${message}\n\n`);
  return undefined;
}

/** The Spark engine's settings (infra/spark-env.mjs) the test runner provisions; same rules as requireInfra. */
export function requireSpark(env: NodeJS.ProcessEnv = process.env): { python: string; jars: string[] } | undefined {
  const settings = env.LAMINA_TEST_SPARK?.trim();
  if (settings) return JSON.parse(settings) as { python: string; jars: string[] };
  const message = 'LAMINA_TEST_SPARK is not set (the test runner provisions pyspark and its jars: node scripts/run-tests.mjs, or npm test)';
  if (env.CI === 'true') throw new Error(`${message}. In CI the Spark tests must run, not be skipped.`);
  process.stderr.write(`\n!!! SKIPPING SPARK TESTS: ${message}\n\n`);
  return undefined;
}

/** The environment of a `lamina` process on the stack: its config file, topic, lake prefix and scratch folder. */
export function laminaProcessEnv(infra: InfraEnv, options: { configFile: string; topic: string; prefix: string; scratchDir: string }): Record<string, string> {
  const { kafkaBrokers, s3 } = infra;
  return {
    LAMINA_CONFIG: options.configFile, LAMINA_KAFKA_BROKERS: kafkaBrokers.join(','), LAMINA_TOPIC: options.topic, LAMINA_S3_ENDPOINT: s3.endpoint, LAMINA_S3_BUCKET: s3.bucket,
    LAMINA_S3_PREFIX: options.prefix, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region,
    LAMINA_KAFKA_SESSION_TIMEOUT_MS: '6000', LAMINA_SCRATCH_DIR: options.scratchDir,
  };
}

/** The end of a test run on the stack: its topic deleted, its objects removed, the clients closed. */
export async function dropRunInfra(admin: { deleteTopic(topic: string): Promise<void>; close(): Promise<void> }, topic: string, store: { list(prefix: string): AsyncIterable<{ key: string }>; delete(key: string): Promise<void>; destroy(): void }): Promise<void> {
  await admin.deleteTopic(topic).catch(() => undefined);
  await admin.close();
  for await (const object of store.list('')) await store.delete(object.key);
  store.destroy();
}
