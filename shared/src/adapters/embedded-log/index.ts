export { EmbeddedEventLog, type EmbeddedEventLogOptions } from './embedded-event-log.js';
export type { ConsumerErrorContext } from './embedded-consumer.js';
export type { LogStats } from './partition-log.js';
