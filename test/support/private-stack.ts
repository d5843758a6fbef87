/**
 * A Kafka + MinIO of a test's own (infra/stack-lib.mjs in a temp folder, on free ports), for fault
 * tests that pause or kill a service: the shared stack other test files use at the same time must
 * never be touched.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackConfigFromEnv, type StackConfig } from '../../infra/stack-config.mjs';
import { ensureStack, stackStatus, stopStack, type StackEnv } from '../../infra/stack-lib.mjs';
import { KafkaEventLog, S3ObjectStore } from '@lamina/shared';
import { freePort } from './processes.js';

export interface PrivateStack {
  config: StackConfig;
  env: StackEnv;
  /** The variables that point infra/stack.mjs (e.g. `npm run stack:up`) at this stack. */
  stackVars: Record<string, string>;
  pid(service: 'kafka' | 'minio'): number;
  /** SIGSTOP / SIGCONT: the process keeps its sockets but answers nothing, like a stalled server. */
  pause(service: 'kafka' | 'minio'): void;
  resume(service: 'kafka' | 'minio'): void;
  /** Resumes whatever is paused, stops both services and deletes the folder. */
  destroy(): Promise<void>;
}

export async function startPrivateStack(): Promise<PrivateStack> {
  try {
    return await startInFreshFolder();
  } catch (error) {
    // A service can end while starting for a reason outside the code under test (CI once saw MinIO end
    // with an empty log while other files' stacks ran): one more try on fresh ports and a fresh folder,
    // the first failure printed so it is not lost. A second failure fails the file.
    console.error(`the private stack did not start; trying once more: ${(error as Error).message}`);
    return await startInFreshFolder();
  }
}

async function startInFreshFolder(): Promise<PrivateStack> {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-private-stack-'));
  const stackVars = {
    LAMINA_STACK_DIR: dir,
    LAMINA_STACK_KAFKA_PORT: String(await freePort()),
    LAMINA_STACK_KAFKA_CONTROLLER_PORT: String(await freePort()),
    LAMINA_STACK_KAFKA_SASL_PORT: String(await freePort()),
    LAMINA_STACK_MINIO_PORT: String(await freePort()),
  };
  const config = stackConfigFromEnv({ ...process.env, ...stackVars });
  // ensureStack stops what it started when it fails; the folder is this function's to remove.
  const { env } = await ensureStack({ config }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  const paused = new Set<'kafka' | 'minio'>();
  const pid = (service: 'kafka' | 'minio'): number => {
    const status = stackStatus(config)[service];
    if (!status.running || status.pid === undefined) throw new Error(`the private stack's ${service} is not running`);
    return status.pid;
  };
  return {
    config,
    env,
    stackVars,
    pid,
    pause(service) {
      process.kill(pid(service), 'SIGSTOP');
      paused.add(service);
    },
    resume(service) {
      process.kill(pid(service), 'SIGCONT');
      paused.delete(service);
    },
    async destroy() {
      for (const service of paused) process.kill(pid(service), 'SIGCONT');
      await stopStack({ config });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The env a Lamina layer needs to run on this stack, with its own topic and lake prefix. */
export function layerEnv(stack: PrivateStack, topic: string, prefix: string): Record<string, string> {
  return { ...stack.env, LAMINA_TOPIC: topic, LAMINA_S3_PREFIX: prefix, LAMINA_KAFKA_SESSION_TIMEOUT_MS: '6000' };
}

/** A Kafka client and the lake's object store, for a test to read what the layers on `env` wrote. */
export function runClients(env: Record<string, string>, clientId: string): { log: KafkaEventLog; store: S3ObjectStore } {
  return {
    log: new KafkaEventLog({ brokers: env.LAMINA_KAFKA_BROKERS!.split(','), clientId }),
    store: new S3ObjectStore({ endpoint: env.LAMINA_S3_ENDPOINT!, bucket: env.LAMINA_S3_BUCKET!, region: env.AWS_REGION!, accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, prefix: env.LAMINA_S3_PREFIX! }),
  };
}
