/**
 * kafkajs logs through the caller's pino logger. kafkajs INFO is chatty (every join, every stop), so
 * it goes to pino debug, and kafkajs DEBUG to trace; kafkajs only builds the entries pino will keep.
 */

import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * kafkajs warns this whenever a producer gets a finite retry budget. The adapter does that on
 * purpose and replaces the producer after any failed send (see kafka-producer.ts), which keeps
 * the idempotence guarantee the warning is about; the message would only mislead operators.
 */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

/**
 * Broker answers kafkajs logs at ERROR although they are part of a normal start and kafkajs retries
 * them itself: the topic exists already (ensureTopic), the group coordinator is still loading after a
 * broker start, a leader election is under way. If one persists, the operation fails and the adapter
 * reports it with context; logged as errors they only teach operators to ignore error lines.
 */
const TRANSIENT_BROKER_ERRORS = new Set([
  'Topic creation errors',
  'The group coordinator is not available',
  "The coordinator is loading and hence can't process requests for this group",
  'This is not the correct coordinator for this group',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server does not host this topic-partition',
]);

export function kafkaLogLevel(logger: Logger): logLevel {
  if (logger.isLevelEnabled('trace')) return logLevel.DEBUG;
  if (logger.isLevelEnabled('debug')) return logLevel.INFO;
  if (logger.isLevelEnabled('warn')) return logLevel.WARN;
  if (logger.isLevelEnabled('error')) return logLevel.ERROR;
  return logLevel.NOTHING;
}

export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log as { message: string; timestamp?: string; logger?: string } & Record<string, unknown>;
      const fields = { kafkajs: namespace, ...extra };
      const transient = namespace === 'Connection' && TRANSIENT_BROKER_ERRORS.has(String(extra.error));
      if (level === logLevel.ERROR && !transient) logger.error(fields, message);
      else if (level === logLevel.WARN && !EXPECTED_WARNINGS.includes(message)) logger.warn(fields, message);
      else if (level === logLevel.DEBUG) logger.trace(fields, message);
      else logger.debug(fields, message);
    };
}
