// The local stack (Kafka + MinIO) as a library: the CLI (infra/stack.mjs) and the test runner both
// call ensureStack() to get a running stack and stopStack() to take down what they started.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_SCRAM_USER, KAFKA_VERSION, MINIO_VERSION, stackConfigFromEnv } from './stack-config.mjs';
import { daemonExitNote, isOurProcess, isPortFree, pickPort, readJson, stopProcess, waitUntil, withLock, writeJson } from './processes.mjs';
import { provisionKafka, provisionMinio } from './provision.mjs';
import { KAFKA_MARKER, brokerTlsPaths, ensureScramUser, kafkaClusterId, kafkaIsReady, kafkaLogTail, startKafka } from './kafka-service.mjs';
import { MINIO_MARKER, ensureBucket, minioIsReady, minioLogTail, s3Client, startMinio } from './minio-service.mjs';

/** @typedef {import('./stack-config.mjs').StackConfig} StackConfig */
/** @typedef {(line: string) => void} Log */

const quiet = () => {};
const RESTART_PORT_GRACE_MS = 15_000;

function paths(config) {
  return {
    lock: join(config.stateDir, 'lock'),
    kafkaDir: join(config.stateDir, 'kafka'),
    kafkaState: join(config.stateDir, 'kafka.json'),
    minioDir: join(config.stateDir, 'minio'),
    minioState: join(config.stateDir, 'minio.json'),
  };
}

/** The pid files' view of the stack: which services run, on which ports. */
export function stackStatus(config = stackConfigFromEnv()) {
  const p = paths(config);
  const kafka = readJson(p.kafkaState);
  const minio = readJson(p.minioState);
  return {
    kafka: kafka ? { ...kafka, running: isOurProcess(kafka.pid, KAFKA_MARKER) } : { running: false },
    minio: minio ? { ...minio, running: isOurProcess(minio.pid, MINIO_MARKER) } : { running: false },
  };
}

/**
 * The variables Lamina's config reads, for a stack whose services listen on these ports — plus, for
 * the Kafka security tests, the broker's SASL/SCRAM-over-TLS listener, its user and CA (LAMINA_STACK_*: no Lamina
 * process reads them; a test hands them over as LAMINA_KAFKA_*).
 */
export function stackEnv(config, { brokerPort, minioPort, saslPort }) {
  return {
    LAMINA_KAFKA_BROKERS: `127.0.0.1:${brokerPort}`,
    ...(Number.isInteger(saslPort) ? { LAMINA_STACK_KAFKA_SASL_BROKERS: `127.0.0.1:${saslPort}`, LAMINA_STACK_KAFKA_SCRAM_USER: KAFKA_SCRAM_USER.username, LAMINA_STACK_KAFKA_SCRAM_PASSWORD: KAFKA_SCRAM_USER.password, LAMINA_STACK_KAFKA_TLS_CA: brokerTlsPaths(paths(config).kafkaDir).caPem } : {}),
    LAMINA_TOPIC: config.topic,
    LAMINA_S3_ENDPOINT: `http://127.0.0.1:${minioPort}`,
    LAMINA_S3_BUCKET: config.bucket,
    AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
    AWS_REGION: config.region,
  };
}

/** The env of the running stack if both services are up and answer, else null. */
export async function runningStackEnv(config = stackConfigFromEnv()) {
  const s = stackStatus(config);
  if (!s.kafka.running || !s.minio.running) return null;
  const env = stackEnv(config, { brokerPort: s.kafka.brokerPort, minioPort: s.minio.port, saslPort: s.kafka.saslPort });
  const ready = await Promise.all([
    kafkaIsReady([env.LAMINA_KAFKA_BROKERS]).catch(() => false),
    minioIsReady(env.LAMINA_S3_ENDPOINT).catch(() => false),
  ]);
  return ready.every(Boolean) ? env : null;
}

async function waitReady(what, probe, pid, marker, logTail, config) {
  try {
    await waitUntil(probe, { timeoutMs: config.readyTimeoutMs, alive: () => isOurProcess(pid, marker), what });
  } catch (err) {
    // How it ended is read before stopping it: a signal of ours must not pass for the cause.
    const ended = isOurProcess(pid, marker) ? '' : await daemonExitNote(pid);
    await stopProcess(pid, marker);
    throw new Error(`${/** @type {Error} */ (err).message}${ended}; last log lines:\n${logTail()}`);
  }
}

/**
 * The port a stopped service starts on. A restart (it ran before: its state file records a port)
 * keeps that port, because running clients and printed envs know it, unless the environment names
 * another; a busy port then is an error, not a silent move. A first start takes the preferred port,
 * or a free one when it is busy.
 * @param {StackConfig} config
 * @param {'kafka'|'kafkaController'|'kafkaSasl'|'minio'} which
 * @param {number|undefined} recorded
 * @param {number[]} taken
 */
async function portFor(config, which, recorded, taken) {
  const restart = Number.isInteger(recorded);
  if (!restart) return pickPort(config.ports[which], taken);
  const port = config.explicitPorts[which] ? config.ports[which] : /** @type {number} */ (recorded);
  if (taken.includes(port)) throw new Error(`port ${port} (${which}) is also another stack service's; give each LAMINA_STACK_*_PORT its own port`);
  // A process killed with -9 can still hold its sockets for a moment after /proc shows it gone (a
  // big JVM frees its memory before its files), so a busy port gets a grace period first.
  const free = await waitUntil(() => isPortFree(port), { timeoutMs: RESTART_PORT_GRACE_MS, intervalMs: 250, what: `port ${port}` }).then(() => true, () => false);
  if (free) return port;
  const variable = { kafka: 'LAMINA_STACK_KAFKA_PORT', kafkaController: 'LAMINA_STACK_KAFKA_CONTROLLER_PORT', kafkaSasl: 'LAMINA_STACK_KAFKA_SASL_PORT', minio: 'LAMINA_STACK_MINIO_PORT' }[which];
  throw new Error(`cannot restart on port ${port} (${which}): it is in use by another process. Free it, set ${variable} to another port (clients must then be told), or start over with stack:down (deletes the data)`);
}

/**
 * Makes sure Kafka and MinIO run (provisioning them on first use), waits until both are ready and
 * the bucket exists. startedByUs tells the caller whether it should stopStack() when done. A service
 * that died (crash, kill -9) is restarted on its data and its ports: same topics, offsets, cluster
 * id and objects, so running clients reconnect without new settings.
 * @param {{config?: StackConfig, log?: Log}} [options]
 */
export async function ensureStack({ config = stackConfigFromEnv(), log = quiet } = {}) {
  const p = paths(config);
  return withLock(p.lock, async () => {
    const began = Date.now();
    const status = stackStatus(config);
    const started = { kafka: !status.kafka.running, minio: !status.minio.running };

    // Provision in parallel: the Maven download is mostly network, the Go build mostly CPU.
    const [kafkaLib, minioBin] = await Promise.all([
      started.kafka ? provisionKafka(config.cacheDir, log) : null,
      started.minio ? provisionMinio(config.cacheDir, log) : null,
    ]);

    let kafka = status.kafka;
    let minio = status.minio;
    // Only running services hold ports; a dead one's recorded ports are its own to take again.
    const taken = [
      ...(kafka.running ? [kafka.brokerPort, kafka.controllerPort, kafka.saslPort] : []),
      ...(minio.running ? [minio.port] : []),
    ].filter(Number.isInteger);
    if (kafkaLib) {
      const brokerPort = await portFor(config, 'kafka', kafka.brokerPort, taken);
      const controllerPort = await portFor(config, 'kafkaController', kafka.controllerPort, [...taken, brokerPort]);
      const saslPort = await portFor(config, 'kafkaSasl', kafka.saslPort, [...taken, brokerPort, controllerPort]);
      taken.push(brokerPort, controllerPort, saslPort);
      const existing = kafkaClusterId(p.kafkaDir);
      log(existing
        ? `restarting Kafka ${KAFKA_VERSION} on its existing data (cluster id ${existing}) on 127.0.0.1:${brokerPort} (controller ${controllerPort})`
        : `starting Kafka ${KAFKA_VERSION} on 127.0.0.1:${brokerPort} (controller ${controllerPort})`);
      const { pid, clusterId } = await startKafka({ libDir: kafkaLib.libDir, serviceDir: p.kafkaDir, brokerPort, controllerPort, saslPort });
      kafka = { pid, brokerPort, controllerPort, saslPort, clusterId, version: KAFKA_VERSION, startedAt: new Date().toISOString(), running: true };
      writeJson(p.kafkaState, kafka);
    }
    if (minioBin) {
      const port = await portFor(config, 'minio', minio.port, taken);
      log(`starting MinIO ${MINIO_VERSION} on 127.0.0.1:${port}${Number.isInteger(minio.port) ? ' (restart, data kept)' : ''}`);
      const { pid } = startMinio({ binary: minioBin.binary, serviceDir: p.minioDir, port, credentials: config.credentials });
      minio = { pid, port, version: MINIO_VERSION, startedAt: new Date().toISOString(), running: true };
      writeJson(p.minioState, minio);
    }

    const env = stackEnv(config, { brokerPort: kafka.brokerPort, minioPort: minio.port, saslPort: kafka.saslPort });
    const outcomes = await Promise.allSettled([
      waitReady('Kafka', () => kafkaIsReady([env.LAMINA_KAFKA_BROKERS]), kafka.pid, KAFKA_MARKER,
        () => kafkaLogTail(p.kafkaDir), config),
      waitReady('MinIO', () => minioIsReady(env.LAMINA_S3_ENDPOINT), minio.pid, MINIO_MARKER,
        () => minioLogTail(p.minioDir), config),
    ]);
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    if (failures.length > 0) {
      // Leave nothing half-started behind: stop what this call started (logs stay for reading).
      if (started.kafka) await stopProcess(kafka.pid, KAFKA_MARKER);
      if (started.minio) await stopProcess(minio.pid, MINIO_MARKER);
      throw new Error(failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n'));
    }
    if (kafkaLib) await ensureScramUser({ libDir: kafkaLib.libDir, serviceDir: p.kafkaDir, brokerPort: kafka.brokerPort, user: KAFKA_SCRAM_USER });
    const s3 = s3Client({ endpoint: env.LAMINA_S3_ENDPOINT, region: config.region, credentials: config.credentials });
    try {
      await ensureBucket(s3, config.bucket);
    } finally {
      s3.destroy();
    }
    const startedByUs = started.kafka || started.minio;
    log(startedByUs ? `stack ready in ${((Date.now() - began) / 1000).toFixed(1)} s` : 'stack already running');
    return { env, startedByUs, started };
  });
}

/**
 * Stops both services (SIGTERM, SIGKILL after a timeout) and removes their data, logs and pid files.
 * @param {{config?: StackConfig, log?: Log}} [options]
 */
export async function stopStack({ config = stackConfigFromEnv(), log = quiet } = {}) {
  const p = paths(config);
  return withLock(p.lock, async () => {
    const status = stackStatus(config);
    const [kafka, minio] = await Promise.all([
      status.kafka.pid ? stopProcess(status.kafka.pid, KAFKA_MARKER, { timeoutMs: 30_000 }) : 'not-running',
      status.minio.pid ? stopProcess(status.minio.pid, MINIO_MARKER, { timeoutMs: 15_000 }) : 'not-running',
    ]);
    if (kafka === 'still-running' || minio === 'still-running') {
      throw new Error(`could not stop the stack (kafka: ${kafka}, minio: ${minio}); pids in ${config.stateDir}`);
    }
    for (const path of [p.kafkaDir, p.kafkaState, p.minioDir, p.minioState]) rmSync(path, { recursive: true, force: true });
    log(`kafka: ${kafka}, minio: ${minio}`);
    return { kafka, minio };
  });
}
