/**
 * Runs the batch job on a cron schedule (croner); a run still going when the next is due is not
 * doubled. Between scheduled runs it also checks, once a minute, whether a view of the config has no
 * batch part for its current definition (added or changed since the newest generation): then it runs
 * at once, so that view's answers are incomplete for minutes, not until the nightly run.
 */
import { Cron } from 'croner';
import { ConfigError, GenerationStore, compileViews, coversEvents, type LaminaConfig, type Logger, type ObjectStore } from '@lamina/shared';
import type { BatchJob } from './batch-job.js';

const CHANGED_VIEW_CHECK_MS = 60_000;

/** Views of `config` the newest generation has no batch part for, although it covers events. */
export async function viewsWithoutBatchPart(config: LaminaConfig, store: ObjectStore): Promise<string[]> {
  const latest = await new GenerationStore(store).latest();
  if (!latest || !coversEvents(latest)) return [];
  return compileViews(config)
    .filter((v) => latest.views[v.name]?.fingerprint !== v.fingerprint)
    .map((v) => v.name);
}

export class BatchScheduler {
  private cron: Cron | undefined;
  private checker: NodeJS.Timeout | undefined;

  constructor(
    private readonly job: BatchJob,
    private readonly schedule: string,
    private readonly logger: Logger,
    private readonly changedViews?: () => Promise<string[]>,
  ) {}

  start(): void {
    try {
      this.cron = new Cron(this.schedule, { protect: true, timezone: 'UTC' }, () => this.runNow('scheduled'));
    } catch (cause) {
      throw new ConfigError(`batch.schedule '${this.schedule}' is not a valid cron expression (e.g. '0 2 * * *' for 02:00 UTC nightly)`, { cause });
    }
    if (this.changedViews) {
      void this.checkChangedViews();
      this.checker = setInterval(() => void this.checkChangedViews(), CHANGED_VIEW_CHECK_MS);
      this.checker.unref();
    }
    this.logger.info({ schedule: this.schedule, next: this.cron.nextRun()?.toISOString() }, 'batch scheduler started');
  }

  private async checkChangedViews(): Promise<void> {
    try {
      const views = await this.changedViews!();
      if (views.length === 0) return;
      this.logger.info({ views }, 'views have no batch part for their current definition: running a batch now');
      await this.runNow('changed views');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not check for changed views; the next check tries again');
    }
  }

  private async runNow(reason: string): Promise<void> {
    try {
      await this.job.run({ trigger: reason });
    } catch (error) {
      this.logger.error({ err: error, reason }, 'batch run failed; the next run will try again');
    }
  }

  nextRun(): Date | null {
    return this.cron?.nextRun() ?? null;
  }

  stop(): void {
    this.cron?.stop();
    if (this.checker) clearInterval(this.checker);
  }
}
