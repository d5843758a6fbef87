export { Archiver, type ArchiverOptions } from './archiver.js';
export { BatchJob, QualityGateError, type BatchJobOptions } from './batch-job.js';
export { BatchScheduler } from './batch-scheduler.js';
export { compactTable, type CompactionOptions, type CompactionResult } from './compactor.js';
