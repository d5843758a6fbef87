// Ports and errors
export * from './errors.js';
export * from './ports/event-log.js';
export * from './ports/object-store.js';
export * from './ports/realtime-source.js';
export * from './ports/batch-engine.js';
// Config and events
export * from './config/schema.js';
export * from './config/serving-limits.js';
export * from './config/quality-gates.js';
export * from './config/validate-config.js';
export * from './config/graphql-names.js';
export * from './events/event.js';
export * from './events/event-validator.js';
export * from './events/event-shape.js';
export { isoTimestamp } from './events/iso-timestamp.js';
export * from './events/event-schema.js';
export * from './events/field-paths.js';
export * from './events/ingest-token.js';
export * from './events/duplicates.js';
export * from './schemas/schema-registry.js';
// Measures and views (the code both layers run)
export * from './measures/index.js';
export * from './views/time-buckets.js';
export * from './views/time-zones.js';
export * from './views/compiled-view.js';
export * from './views/view-aggregate.js';
export * from './views/view-query.js';
export * from './views/row-codec.js';
export * from './views/state-columns.js';
// Lake: Delta tables, Lamina's tables, generations
export * from './lake/index.js';
export * from './lake-layout.js';
export * from './tables/raw-table.js';
export * from './tables/offset-ranges.js';
export * from './tables/lamina-lake.js';
export * from './epochs/log-epochs.js';
export * from './epochs/log-guard.js';
export * from './epochs/consumer-groups.js';
export * from './tables/quarantine-table.js';
export * from './tables/view-table.js';
export * from './generations/manifest.js';
export * from './generations/generation-store.js';
export * from './generations/run-history.js';
export * from './generations/run-lease.js';
// Adapters
export { partitionForKey } from './partitioner.js';
export * from './adapters/embedded-log/index.js';
export * from './adapters/port-log/index.js';
export { PortPeer } from './threads/port-peer.js';
export { LocalObjectStore } from './adapters/local-object-store/local-object-store.js';
// Observability
export * from './observability/logger.js';
export * from './observability/metrics.js';
export * from './observability/readiness.js';
export { S3ObjectStore, type S3ObjectStoreOptions } from './adapters/s3/index.js';
export * from './adapters/kafka/index.js';
export * from './http/json-http.js';
export * from './http/health-routes.js';
export * from './deadline.js';
export * from './event-loop-turn.js';
