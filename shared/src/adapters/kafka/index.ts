export { KafkaEventLog } from './kafka-event-log.js';
export type { KafkaEventLogOptions, KafkaConsumerErrorContext, KafkaSasl } from './kafka-options.js';
