export { Archiver, type ArchiverOptions } from './archiver.js';
export { BatchJob, QualityGateError, type BatchAlert, type BatchJobOptions, type BatchRunOptions } from './batch-job.js';
export { BatchScheduler, viewsWithoutBatchPart } from './batch-scheduler.js';
export { compactTable, type CompactionOptions, type CompactionResult } from './compactor.js';
export { DuckDbEngine, type DuckDbEngineOptions } from './engines/duckdb/duckdb-engine.js';
export { SparkEngine, type SparkEngineOptions } from './engines/spark/spark-engine.js';
export { vacuumLake, type VacuumOptions, type VacuumReport } from './lake-vacuum.js';
