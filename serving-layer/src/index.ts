export { ServingLayer, type ServingLayerOptions } from './serving-layer.js';
export { QueryService, type Answer, type AnswerMeta } from './query-service.js';
export { checkCoverage } from './coverage-check.js';
export { HttpRealtimeSource } from './http-realtime-source.js';
export { IngestService } from './ingest-service.js';
export { backfill, type BackfillReport } from './backfill/backfill.js';
