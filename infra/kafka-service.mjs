// Single-node KRaft Kafka on 127.0.0.1: writes server.properties, formats storage (only when there is
// none), starts the broker and decides when it is ready (a real client can connect and list topics).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { readText, spawnDaemon, tailFile } from './processes.mjs';

const execFileAsync = promisify(execFile);

export const KAFKA_MARKER = 'kafka.Kafka';

/** Runs a JDK tool to its end; a failure says what failed, with the tool's output. */
async function runTool(command, args, what, timeout) {
  try {
    await execFileAsync(command, args, { timeout });
  } catch (err) {
    const e = /** @type {{stdout?:string, stderr?:string, message:string}} */ (err);
    throw new Error(`${what} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** The broker's TLS key and certificate (self-signed, for 127.0.0.1) and the PEM clients trust. */
export function brokerTlsPaths(serviceDir) {
  return { keystore: join(serviceDir, 'tls', 'broker.p12'), caPem: join(serviceDir, 'tls', 'ca.pem'), password: 'lamina-local-tls' };
}

/** Makes the broker's key pair and certificate with the JDK's keytool, once (kept with the broker's data). */
async function ensureBrokerTls(serviceDir) {
  const tls = brokerTlsPaths(serviceDir);
  if (existsSync(tls.keystore) && existsSync(tls.caPem)) return tls;
  mkdirSync(join(serviceDir, 'tls'), { recursive: true });
  const store = ['-keystore', tls.keystore, '-storetype', 'PKCS12', '-storepass', tls.password];
  const what = "making the broker's TLS certificate with keytool (JDK)";
  await runTool('keytool', ['-genkeypair', '-alias', 'broker', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650',
    '-dname', 'CN=127.0.0.1', '-ext', 'SAN=IP:127.0.0.1,DNS:localhost', '-keypass', tls.password, ...store], what, 60_000);
  await runTool('keytool', ['-exportcert', '-rfc', '-alias', 'broker', '-file', tls.caPem, ...store], what, 60_000);
  return tls;
}

function serverProperties({ dataDir, brokerPort, controllerPort, saslPort, tls }) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    // A second listener with SASL/SCRAM over TLS, for the Kafka security tests; the plain one stays for the rest.
    `listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort},SASL_SSL://127.0.0.1:${saslPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort},SASL_SSL://127.0.0.1:${saslPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${tls.keystore}`,
    `ssl.keystore.password=${tls.password}`,
    `ssl.key.password=${tls.password}`,
    `log.dirs=${dataDir}`,
    // One broker: every internal topic must accept replication factor 1, or idempotent and
    // transactional producers and consumer groups hang waiting for replicas that never come.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'min.insync.replicas=1',
    // Fewer internal partitions than the default 50: the first group join / transaction is faster.
    'offsets.topic.num.partitions=8',
    'transaction.state.log.num.partitions=8',
    'group.initial.rebalance.delay.ms=0',
    // Lamina creates its topics itself; a typo must not silently create a new one.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    '',
  ].join('\n');
}

const LOG4J = [
  'log4j.rootLogger=INFO, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.request.logger=WARN',
  'log4j.logger.state.change.logger=WARN',
  'log4j.logger.org.apache.kafka.controller=INFO',
  '',
].join('\n');

/** Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding (22 chars). */
function newClusterId() {
  return randomBytes(16).toString('base64url');
}

function javaArgs(libDir, serviceDir, mainClass, args, heap) {
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${join(serviceDir, 'log4j.properties')}`,
    `-Dkafka.logs.dir=${join(serviceDir, 'logs')}`,
    '-cp', `${libDir}/*`,
    mainClass,
    ...args,
  ];
}

/** The cluster id of formatted storage in serviceDir, or null when there is none yet. */
export function kafkaClusterId(serviceDir) {
  const meta = readText(join(serviceDir, 'data', 'meta.properties'));
  return meta?.match(/^cluster\.id=(.+)$/m)?.[1]?.trim() ?? null;
}

/**
 * Starts the broker on the storage in serviceDir, formatting it first only if there is none: a
 * broker that crashed comes back with its topics, offsets and cluster id, so clients (and the lake,
 * which records offsets) carry on. Returns its pid and cluster id.
 */
export async function startKafka({ libDir, serviceDir, brokerPort, controllerPort, saslPort }) {
  const dataDir = join(serviceDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const propsFile = join(serviceDir, 'server.properties');
  const tls = await ensureBrokerTls(serviceDir);
  writeFileSync(propsFile, serverProperties({ dataDir, brokerPort, controllerPort, saslPort, tls }));
  writeFileSync(join(serviceDir, 'log4j.properties'), LOG4J);

  let clusterId = kafkaClusterId(serviceDir);
  if (clusterId === null) {
    clusterId = newClusterId();
    const formatArgs = javaArgs(libDir, serviceDir, 'kafka.tools.StorageTool',
      ['format', `--cluster-id=${clusterId}`, '--config', propsFile], ['-Xmx256m']);
    await runTool('java', formatArgs, 'Kafka storage format', 120_000);
  }

  const logFile = join(serviceDir, 'kafka.log');
  const pid = spawnDaemon('java', javaArgs(libDir, serviceDir, KAFKA_MARKER, [propsFile], ['-Xms256m', '-Xmx1g']), {
    cwd: serviceDir,
    env: process.env,
    logFile,
  });
  return { pid, logFile, clusterId };
}

/**
 * Creates (or resets) the SCRAM user of the SASL listener, through the plain listener: Kafka's own
 * ConfigCommand, as `kafka-configs.sh --alter --add-config SCRAM-SHA-512=[...]` would. Idempotent.
 */
export async function ensureScramUser({ libDir, serviceDir, brokerPort, user }) {
  const args = javaArgs(libDir, serviceDir, 'kafka.admin.ConfigCommand', [
    '--bootstrap-server', `127.0.0.1:${brokerPort}`, '--alter', '--entity-type', 'users', '--entity-name', user.username,
    '--add-config', `SCRAM-SHA-512=[iterations=4096,password=${user.password}]`,
  ], ['-Xmx128m']);
  await runTool('java', args, 'creating the Kafka SCRAM user', 120_000);
}

/** Ready = a client bootstraps, sees the broker in metadata and lists topics. */
export async function kafkaIsReady(brokers) {
  const kafka = new kafkajs.Kafka({
    clientId: 'lamina-stack-probe',
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.listTopics();
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller !== -1;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export function kafkaLogTail(serviceDir) {
  return tailFile(join(serviceDir, 'kafka.log'), 30);
}
