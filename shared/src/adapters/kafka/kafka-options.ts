/** The Kafka adapter's options: everything comes in explicitly (no environment reads), with defaults here. */

import type { Logger } from 'pino';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../observability/logger.js';

export interface KafkaConsumerErrorContext {
  groupId: string;
  topic: string;
  /** onAssigned/onRevoked/onBatch: a handler threw; crash: kafkajs gave up on the member and rejoins (or not). */
  phase: 'onAssigned' | 'onRevoked' | 'onBatch' | 'crash';
  partition?: number;
  /** For onBatch: the first offset of the batch that will be delivered again. */
  offset?: number;
}

/** SASL credentials for a broker listener. */
export interface KafkaSasl {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

export interface KafkaEventLogOptions {
  /** `host:port` of at least one broker. */
  brokers: string[];
  /** Names this process in broker logs and quotas; default 'lamina'. */
  clientId?: string;
  /** Receives the adapter's and kafkajs' logs; default: pino at level warn. */
  logger?: Logger;
  /** TCP connect timeout per broker; default 3000 ms. */
  connectionTimeoutMs?: number;
  /** Per request; default 30000 ms. */
  requestTimeoutMs?: number;
  /**
   * Deadline of each admin call, produce and offset commit, kafkajs' own retries included; past it
   * the call fails with UnavailableError (kafkajs may still complete it). Default 15000 ms.
   */
  callTimeoutMs?: number;
  /** kafkajs retries of broker calls before an UnavailableError; default 5 retries from 300 ms up to 30 s. */
  retry?: { retries?: number; initialRetryTimeMs?: number; maxRetryTimeMs?: number };
  /** For topics ensureTopic creates; default 1 (single broker). */
  replicationFactor?: number;
  /**
   * Topic configs for topics ensureTopic creates. Default `message.timestamp.type=LogAppendTime`, so
   * a record's timestamp is when the log accepted it (the port's meaning), not the producer's clock.
   */
  topicConfig?: Record<string, string>;
  /** Produce requests are split so one stays under this many key+value bytes; default 900 KiB (broker limit ~1 MiB). */
  maxRequestBytes?: number;
  consumer?: {
    /** The broker evicts a member silent this long; default 30000 ms. */
    sessionTimeoutMs?: number;
    /** How often a member heartbeats, which is also how fast it notices a rebalance; default 1000 ms. */
    heartbeatIntervalMs?: number;
    /**
     * Long-poll wait of an idle fetch; bounds stop() and resume latency; default 100 ms. Also what every
     * join costs: the adapter pauses the partitions while it positions them, kafkajs' fetch finds none
     * to ask for and sleeps this long (a second per rebalance and restart at kafkajs' 1000).
     */
    maxWaitTimeMs?: number;
    /** Partitions whose batches are handled at the same time; default 4. */
    partitionsConsumedConcurrently?: number;
    /** start() gives up (UnavailableError) if the member has not joined within this; default 60000 ms. */
    startTimeoutMs?: number;
  };
  /** Backoff before a failed onBatch is delivered again; default 100 ms doubling to 5 s. */
  retryBackoff?: { initialMs: number; maxMs: number };
  /** readRange fails (UnavailableError) after this long without progress; default 30000 ms. */
  readTimeoutMs?: number;
  /** A handler failed and will be retried, or kafkajs crashed a member; default: logger.warn. */
  onConsumerError?: (error: unknown, context: KafkaConsumerErrorContext) => void;
  /** SASL authentication (a broker listener with SASL_PLAINTEXT or SASL_SSL). */
  sasl?: KafkaSasl;
  /** TLS to the brokers: true for the system's CAs, or the PEM of the CA that signed the brokers' certificates. */
  ssl?: boolean | { ca: string };
}

export interface ResolvedKafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  callTimeoutMs: number;
  retry: { retries: number; initialRetryTime: number; maxRetryTime: number };
  replicationFactor: number;
  topicConfig: Record<string, string>;
  maxRequestBytes: number;
  consumer: Required<NonNullable<KafkaEventLogOptions['consumer']>>;
  retryBackoff: { initialMs: number; maxMs: number };
  readTimeoutMs: number;
  onConsumerError: (error: unknown, context: KafkaConsumerErrorContext) => void;
  sasl: KafkaEventLogOptions['sasl'];
  ssl: KafkaEventLogOptions['ssl'];
}

const BROKER = /^[^\s:]+:\d{1,5}$/;

export function resolveKafkaOptions(options: KafkaEventLogOptions): ResolvedKafkaOptions {
  const brokers = options?.brokers;
  if (!Array.isArray(brokers) || brokers.length === 0 || !brokers.every((b) => typeof b === 'string' && BROKER.test(b))) {
    throw new ConfigError(`KafkaEventLog needs brokers as ["host:port", ...], got ${JSON.stringify(brokers)} (e.g. LAMINA_KAFKA_BROKERS=127.0.0.1:19092)`);
  }
  const logger = options.logger ?? createLogger({ name: 'lamina-kafka', level: 'warn' });
  const consumer = options.consumer ?? {};
  const resolved: ResolvedKafkaOptions = {
    brokers: [...brokers],
    clientId: options.clientId ?? 'lamina',
    logger,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 3000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    callTimeoutMs: options.callTimeoutMs ?? 15_000,
    retry: {
      retries: options.retry?.retries ?? 5,
      initialRetryTime: options.retry?.initialRetryTimeMs ?? 300,
      maxRetryTime: options.retry?.maxRetryTimeMs ?? 30_000,
    },
    replicationFactor: options.replicationFactor ?? 1,
    topicConfig: options.topicConfig ?? { 'message.timestamp.type': 'LogAppendTime' },
    maxRequestBytes: options.maxRequestBytes ?? 900 * 1024,
    consumer: {
      sessionTimeoutMs: consumer.sessionTimeoutMs ?? 30_000,
      heartbeatIntervalMs: consumer.heartbeatIntervalMs ?? 1000,
      maxWaitTimeMs: consumer.maxWaitTimeMs ?? 100,
      partitionsConsumedConcurrently: consumer.partitionsConsumedConcurrently ?? 4,
      startTimeoutMs: consumer.startTimeoutMs ?? 60_000,
    },
    retryBackoff: options.retryBackoff ?? { initialMs: 100, maxMs: 5000 },
    readTimeoutMs: options.readTimeoutMs ?? 30_000,
    onConsumerError:
      options.onConsumerError ??
      ((error, c) => logger.warn({ err: error, ...c }, `consumer ${c.groupId}/${c.topic} ${c.phase} failed${c.phase === 'crash' ? '' : ', retrying'}`)),
    sasl: options.sasl,
    ssl: options.ssl,
  };
  if (options.sasl && (!options.sasl.username || !options.sasl.password)) throw new ConfigError('KafkaEventLog sasl needs a username and a password (LAMINA_KAFKA_USERNAME, LAMINA_KAFKA_PASSWORD)');
  const positive: [string, number][] = [
    ['connectionTimeoutMs', resolved.connectionTimeoutMs],
    ['requestTimeoutMs', resolved.requestTimeoutMs],
    ['callTimeoutMs', resolved.callTimeoutMs],
    ['replicationFactor', resolved.replicationFactor],
    ['maxRequestBytes', resolved.maxRequestBytes],
    ['readTimeoutMs', resolved.readTimeoutMs],
    ...Object.entries(resolved.consumer).map(([k, v]) => [`consumer.${k}`, v] as [string, number]),
  ];
  for (const [name, value] of positive) {
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`KafkaEventLog option ${name} must be a positive integer, got ${value}`);
  }
  if (resolved.consumer.heartbeatIntervalMs >= resolved.consumer.sessionTimeoutMs) {
    throw new ConfigError(`KafkaEventLog consumer.heartbeatIntervalMs (${resolved.consumer.heartbeatIntervalMs}) must be below consumer.sessionTimeoutMs (${resolved.consumer.sessionTimeoutMs}); about a third is usual`);
  }
  return resolved;
}
