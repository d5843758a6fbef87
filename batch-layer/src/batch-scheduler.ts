/** Runs the batch job on a cron schedule (croner); a run still going when the next is due is not doubled. */
import { Cron } from 'croner';
import { ConfigError, type Logger } from '@lamina/shared';
import type { BatchJob } from './batch-job.js';

export class BatchScheduler {
  private cron: Cron | undefined;

  constructor(
    private readonly job: BatchJob,
    private readonly schedule: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    try {
      this.cron = new Cron(this.schedule, { protect: true, timezone: 'UTC' }, async () => {
        try {
          await this.job.run();
        } catch (error) {
          this.logger.error({ err: error }, 'scheduled batch run failed; the next run will try again');
        }
      });
    } catch (cause) {
      throw new ConfigError(`batch.schedule '${this.schedule}' is not a valid cron expression (e.g. '0 2 * * *' for 02:00 UTC nightly)`, { cause });
    }
    this.logger.info({ schedule: this.schedule, next: this.cron.nextRun()?.toISOString() }, 'batch scheduler started');
  }

  nextRun(): Date | null {
    return this.cron?.nextRun() ?? null;
  }

  stop(): void {
    this.cron?.stop();
  }
}
