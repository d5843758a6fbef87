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
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN && !EXPECTED_WARNINGS.includes(message)) logger.warn(fields, message);
      else if (level === logLevel.DEBUG) logger.trace(fields, message);
      else logger.debug(fields, message);
    };
}
