export { KafkaEventLog } from './kafka-event-log.js';
export type { KafkaEventLogOptions, KafkaConsumerErrorContext } from './kafka-options.js';
