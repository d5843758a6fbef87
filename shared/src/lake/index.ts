export * from './actions.js';
export { DeltaTable, type CommitOptions, type CreateTableOptions, type DeltaTableOptions } from './delta-table.js';
export type { CheckpointInfo } from './checkpoints.js';
export type { Snapshot } from './snapshot.js';
export type { TableLayout } from './data-files.js';
export { deltaTypeOf, arrowTypeOf, type DeltaPrimitive, type DeltaField } from './delta-schema.js';
export { computeStats, fileRowCount, type FileStats } from './stats.js';
export { encodeParquet, decodeParquet } from './parquet-io.js';
