/**
 * `lamina backfill`: historical events from files into the log, through the very validation and
 * append of HTTP ingest (IngestService), a batch at a time. From the log on they are events like any
 * other: archived, counted by the next batch (and the speed layer meanwhile).
 *
 * Importing a file again is safe: its events are copies of the ones imported before (same type, id,
 * event time and key, so the same partition) and deduplication counts each once. With
 * `deduplication.window: off` a second import counts them again — the importer says so.
 */
import type { LaminaConfig, Logger } from '@lamina/shared';
import type { IngestService } from '../ingest-service.js';
import { readEventFile } from './event-files.js';

export interface BackfillOptions {
  /** Events per append (a request's worth). */
  batchSize?: number;
  /** The type of Parquet rows without a `type` column. */
  defaultType?: string;
  /** Rejects reported one by one (to the log); the rest are only counted. */
  reportLimit?: number;
}

export interface FileReport {
  file: string;
  read: number;
  accepted: number;
  rejected: number;
}

export interface Rejection {
  file: string;
  where: string;
  id: string | null;
  reason: string;
}

export interface BackfillReport {
  files: FileReport[];
  accepted: number;
  rejected: number;
  /** The first `reportLimit` rejections. */
  rejections: Rejection[];
  deduplicated: boolean;
}

export async function backfill(files: readonly string[], ingest: IngestService, config: LaminaConfig, logger: Logger, options: BackfillOptions = {}): Promise<BackfillReport> {
  const batchSize = options.batchSize ?? 5_000;
  const reportLimit = options.reportLimit ?? 100;
  const deduplicated = config.deduplication.window !== 'off';
  if (!deduplicated) logger.warn('deduplication is off (deduplication.window): importing a file again counts its events again');
  const report: BackfillReport = { files: [], accepted: 0, rejected: 0, rejections: [], deduplicated };
  const reject = (rejection: Rejection) => {
    report.rejected++;
    if (report.rejections.length < reportLimit) {
      report.rejections.push(rejection);
      logger.warn(rejection, 'backfill: event rejected');
    }
  };
  for (const file of files) {
    const fileReport: FileReport = { file, read: 0, accepted: 0, rejected: 0 };
    for await (const batch of readEventFile(file, config, { batchSize, ...(options.defaultType ? { defaultType: options.defaultType } : {}) })) {
      fileReport.read += batch.length;
      const readable = batch.filter((e) => e.problem === undefined);
      for (const e of batch) {
        if (e.problem === undefined) continue;
        fileReport.rejected++;
        reject({ file, where: e.where, id: null, reason: e.problem });
      }
      if (readable.length === 0) continue;
      const result = await ingest.ingest(readable.map((e) => e.raw));
      fileReport.accepted += result.accepted;
      for (const r of result.rejected) {
        fileReport.rejected++;
        reject({ file, where: readable[r.index]!.where, id: r.id, reason: r.reason });
      }
    }
    report.accepted += fileReport.accepted;
    report.files.push(fileReport);
    logger.info(fileReport, 'backfill: file imported');
  }
  return report;
}
