/**
 * kafkajs errors -> Lamina errors, so callers decide retry-or-give-up on `retriable` alone:
 * - the topic/partition does not exist               -> NotFoundError
 * - the broker rejected the request itself           -> LaminaError KAFKA_REJECTED (not retriable)
 * - connection, timeout, no coordinator, retries out -> UnavailableError (retriable)
 * - anything else                                    -> LaminaError KAFKA_FAILED (not retriable)
 * The kafkajs error is always kept as `cause`.
 */

import { withDeadline } from '../../deadline.js';
import { LaminaError, NotFoundError, UnavailableError, ConfigError } from '../../errors.js';

interface KafkaLikeError {
  name?: string;
  type?: string;
  message?: string;
  retriable?: boolean;
  cause?: unknown;
  errors?: unknown[];
  groups?: unknown[];
}

const UNAVAILABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);

const NOT_FOUND = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'KafkaJSTopicMetadataNotLoaded']);

const REJECTED_TYPES = new Set([
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_REPLICA_ASSIGNMENT',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_CONFIG',
  'POLICY_VIOLATION',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_REQUEST',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TOPIC_DELETION_DISABLED',
  'UNSUPPORTED_VERSION',
]);

/** The error and its causes (kafkajs nests them in `cause` and aggregates in `errors`), outermost first. */
export function errorChain(error: unknown): KafkaLikeError[] {
  const out: KafkaLikeError[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && out.length < 10) {
    const e = current as KafkaLikeError;
    out.push(e);
    const nested = Array.isArray(e.errors) ? e.errors[0] : Array.isArray(e.groups) ? (e.groups[0] as { error?: unknown } | undefined)?.error : undefined;
    current = e.cause ?? nested;
  }
  return out;
}

/** True when any error of the chain has this kafkajs protocol type (e.g. 'GROUP_ID_NOT_FOUND'). */
export function hasKafkaType(error: unknown, type: string): boolean {
  return errorChain(error).some((e) => e.type === type);
}

export function isTopicMissing(error: unknown): boolean {
  return errorChain(error).some((e) => NOT_FOUND.has(e.type ?? '') || NOT_FOUND.has(e.name ?? ''));
}

/** Builds the mapper of one client: messages name the brokers, so an operator knows where to look. */
export function kafkaErrorMapper(brokers: readonly string[]): (error: unknown, what: string) => LaminaError {
  const where = `Kafka at ${brokers.join(',')}`;
  return (error, what) => {
    if (error instanceof LaminaError) return error;
    const links = errorChain(error);
    const root = links[links.length - 1];
    const detail = root?.message ?? String(error);
    const type = links.map((e) => e.type).find((t) => t !== undefined);
    // Wrong credentials or a mechanism the listener does not offer: retrying cannot help (exit 78).
    if (links.some((e) => e.name === 'KafkaJSSASLAuthenticationError') || type === 'SASL_AUTHENTICATION_FAILED' || type === 'UNSUPPORTED_SASL_MECHANISM' || type === 'ILLEGAL_SASL_STATE') {
      return new ConfigError(`${what}: ${where} refused the credentials (${detail}); check LAMINA_KAFKA_SASL_MECHANISM, LAMINA_KAFKA_USERNAME and LAMINA_KAFKA_PASSWORD`, { cause: error });
    }
    if (isTopicMissing(error)) {
      return new NotFoundError(`${what}: the topic or partition does not exist on ${where} (${detail}); create the topic with ensureTopic(topic, partitions)`, { cause: error });
    }
    if (type !== undefined && REJECTED_TYPES.has(type)) {
      return new LaminaError('KAFKA_REJECTED', `${what}: ${where} rejected the request (${type}: ${detail}); fix the request or the broker/topic configuration`, { cause: error });
    }
    if (links.some((e) => UNAVAILABLE_NAMES.has(e.name ?? '')) || links[0]?.retriable === true) {
      return new UnavailableError(`${what}: ${where} is unreachable or timed out (${detail}); check the brokers are up and reachable (locally: npm run stack:up), then retry`, { cause: error });
    }
    return new LaminaError('KAFKA_FAILED', `${what}: ${where} failed (${type ? `${type}: ` : ''}${detail})`, { cause: error });
  };
}

/** `promise` under the adapter's call deadline: a stalled broker becomes an UnavailableError naming the call. */
export function withCallDeadline<T>(promise: Promise<T>, options: { brokers: readonly string[]; callTimeoutMs: number }, what: string): Promise<T> {
  return withDeadline(promise, options.callTimeoutMs, () => new UnavailableError(
    `${what}: Kafka at ${options.brokers.join(',')} did not answer within ${options.callTimeoutMs} ms (broker stalled or unreachable; the call may still complete); retry`,
  ));
}
