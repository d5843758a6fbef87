// Pins, folders, ports and credentials of the local stack, in one place. Everything else in infra/
// takes a config object built here, so tests and the CLI can point the stack elsewhere.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Kafka: the versions live in infra/kafka/pom.xml; the cache key also hashes that file, so editing
// the POM re-provisions. This constant is only for messages and the README.
export const KAFKA_VERSION = '3.9.1';

// MinIO publishes no semver tags (its tags are RELEASE.<date>), so `go install ...@<tag>` cannot name
// a release: the pin is the Go module proxy's pseudo-version of a master commit. This one is the
// newest commit the proxy served on the day of pinning (2026-02-12, commit 7aac2a2c5b7c); its go.mod
// has no replace directives and asks for go 1.24, so it builds with any local Go >= 1.24.
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
export const MINIO_MODULE = 'github.com/minio/minio';

export const DEFAULT_PORTS = Object.freeze({ kafka: 19092, kafkaController: 19093, kafkaSasl: 19094, minio: 19000 });

/** The SCRAM-SHA-512 user of the broker's SASL listener (local use only), for the Kafka security tests. */
export const KAFKA_SCRAM_USER = Object.freeze({ username: 'lamina-scram', password: 'lamina-scram-secret' });

export const DEV_CREDENTIALS = Object.freeze({ accessKeyId: 'lamina', secretAccessKey: 'lamina-secret' });

/**
 * @typedef {object} StackConfig
 * @property {string} cacheDir   downloaded jars and built binaries, shared by every clone on the machine
 * @property {string} stateDir   data dirs, pid files, logs and chosen ports of the running stack
 * @property {{kafka:number, kafkaController:number, kafkaSasl:number, minio:number}} ports  preferred ports (busy ones are replaced on a first start)
 * @property {{kafka:boolean, kafkaController:boolean, kafkaSasl:boolean, minio:boolean}} explicitPorts  which ports the environment set (they win over recorded ones)
 * @property {string} bucket
 * @property {string} topic
 * @property {string} region
 * @property {{accessKeyId:string, secretAccessKey:string}} credentials
 * @property {number} readyTimeoutMs
 */

function portFrom(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name}=${raw} is not a TCP port (1-65535); unset it to use the default ${fallback}`);
  }
  return port;
}

/** Builds the config from the environment (the CLI's and test runner's entry point). */
export function stackConfigFromEnv(env = process.env) {
  return /** @type {StackConfig} */ ({
    cacheDir: resolve(env.LAMINA_CACHE_DIR || join(homedir(), '.cache', 'lamina')),
    stateDir: resolve(env.LAMINA_STACK_DIR || join(REPO_ROOT, '.cache', 'stack')),
    ports: {
      kafka: portFrom(env, 'LAMINA_STACK_KAFKA_PORT', DEFAULT_PORTS.kafka),
      kafkaController: portFrom(env, 'LAMINA_STACK_KAFKA_CONTROLLER_PORT', DEFAULT_PORTS.kafkaController),
      kafkaSasl: portFrom(env, 'LAMINA_STACK_KAFKA_SASL_PORT', DEFAULT_PORTS.kafkaSasl),
      minio: portFrom(env, 'LAMINA_STACK_MINIO_PORT', DEFAULT_PORTS.minio),
    },
    explicitPorts: {
      kafka: Boolean(env.LAMINA_STACK_KAFKA_PORT),
      kafkaController: Boolean(env.LAMINA_STACK_KAFKA_CONTROLLER_PORT),
      kafkaSasl: Boolean(env.LAMINA_STACK_KAFKA_SASL_PORT),
      minio: Boolean(env.LAMINA_STACK_MINIO_PORT),
    },
    bucket: 'lamina',
    topic: 'events',
    region: 'us-east-1',
    credentials: { ...DEV_CREDENTIALS },
    readyTimeoutMs: 90_000,
  });
}
