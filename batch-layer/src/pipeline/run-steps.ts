/**
 * A batch run as a DAG of named steps (snapshot → plan → compute → check → write → publish → clean
 * up; each needs the one before): every step is timed, retried when its failure is retriable (one
 * policy for all), bounded by a timeout, and recorded in the run history as it starts, progresses and
 * ends — so `lamina batch history` shows where a run is, or where it died.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LaminaError, type Logger, type QualityResult, type RunHistory, type RunRecord, type RunStatus, type TypeFacts } from '@lamina/shared';

export class StepTimeoutError extends LaminaError {
  constructor(step: string, ms: number) {
    super('BATCH_STEP_TIMEOUT', `batch step '${step}' did not finish within ${Math.round(ms / 1000)} s (batch.stepTimeoutMinutes); the run stops without publishing — look at the step's progress in \`lamina batch history\``, { retriable: true });
  }
}

export interface StepPolicy {
  /** Attempts after the first, for retriable failures. */
  retries: number;
  timeoutMs: number;
  /** First backoff between attempts (doubling). */
  backoffMs: number;
}

export interface StepContext {
  /** Reports work done of the total; written to the history at most once a second, logged at each tenth. */
  progress(done: number, total: number, unit: string, rows?: number): void;
  /** The step ran out of time: stop what can be stopped (an engine query). */
  readonly signal: AbortSignal;
}

/** How often a running step's progress is written to the history, at most. */
const PROGRESS_WRITE_MS = 1000;

export class RunSteps {
  readonly record: RunRecord;
  /** Wall time of each finished step (all attempts), by name: what the manifest's timingsMs holds. */
  readonly timings: Record<string, number> = {};
  private lastWrite = 0;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly history: RunHistory,
    private readonly logger: Logger,
    private readonly policy: StepPolicy,
    trigger: string,
    /** Told each step's wall time when it ends, succeeded or failed (the step duration metric). */
    private readonly onStepEnd: (name: string, ms: number) => void = () => {},
  ) {
    this.record = {
      id: randomUUID(), generation: null, status: 'running', trigger, startedAt: new Date().toISOString(), finishedAt: null, mode: null,
      steps: [], rowsRead: 0, rowsWritten: 0, facts: {}, gates: [],
    };
  }

  get runId(): string {
    return this.record.id;
  }

  static holder(): string {
    return `${hostname()}:${process.pid}`;
  }

  async start(): Promise<void> {
    await this.save(true);
  }

  /** Runs one step under the policy; `timings` gets its wall time. */
  async step<T>(name: string, work: (context: StepContext) => Promise<T>, overrides: Partial<StepPolicy> = {}): Promise<T> {
    const policy = { ...this.policy, ...overrides };
    const started = Date.now();
    const step: RunRecord['steps'][number] = { name, status: 'running', startedAt: new Date(started).toISOString(), ms: null, attempts: 0 };
    this.record.steps.push(step);
    await this.save(true);
    let lastTenth = -1;
    for (;;) {
      step.attempts++;
      const controller = new AbortController();
      const context: StepContext = {
        signal: controller.signal,
        progress: (done, total, unit, rows) => {
          step.progress = { done, total, unit, ...(rows !== undefined ? { rows } : {}) };
          const tenth = total === 0 ? 10 : Math.floor((10 * done) / total);
          if (tenth !== lastTenth) {
            lastTenth = tenth;
            this.logger.info({ step: name, done, total, unit, ...(rows !== undefined ? { rows } : {}) }, `batch: ${name} ${done}/${total} ${unit}`);
          }
          void this.save(false);
        },
      };
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new StepTimeoutError(name, policy.timeoutMs));
          }, policy.timeoutMs);
        });
        const result = await Promise.race([work(context), timeout]);
        step.status = 'succeeded';
        step.ms = Date.now() - started;
        await this.save(true);
        return result;
      } catch (error) {
        const retriable = error instanceof LaminaError && error.retriable && !(error instanceof StepTimeoutError);
        if (retriable && step.attempts <= policy.retries) {
          const wait = policy.backoffMs * 2 ** (step.attempts - 1);
          this.logger.warn({ err: error, step: name, attempt: step.attempts, retryInMs: wait }, `batch: step ${name} failed (retriable); retrying`);
          await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
        step.status = 'failed';
        step.ms = Date.now() - started;
        step.error = error instanceof Error ? error.message : String(error);
        await this.save(true);
        throw error;
      } finally {
        clearTimeout(timer);
        if (step.ms !== null) {
          this.timings[name] = step.ms;
          this.onStepEnd(name, step.ms);
        }
      }
    }
  }

  planned(generation: number, mode: 'full' | 'incremental'): void {
    this.record.generation = generation;
    this.record.mode = mode;
  }

  facts(facts: Record<string, TypeFacts>, rowsRead: number): void {
    this.record.facts = facts;
    this.record.rowsRead = rowsRead;
  }

  gates(results: QualityResult[]): void {
    this.record.gates = results;
  }

  written(rows: number): void {
    this.record.rowsWritten = rows;
  }

  async finish(status: RunStatus, error?: unknown): Promise<void> {
    this.record.status = status;
    this.record.finishedAt = new Date().toISOString();
    if (error !== undefined) {
      this.record.error = error instanceof LaminaError ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
    }
    await this.save(true);
  }

  /** Writes the record (in order; a progress write at most once a second). A history that cannot be written never fails the run. */
  private save(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastWrite < PROGRESS_WRITE_MS) return this.writing;
    this.lastWrite = now;
    const snapshot = JSON.parse(JSON.stringify(this.record)) as RunRecord;
    this.writing = this.writing.then(() =>
      this.history.write(snapshot).catch((error: unknown) => this.logger.warn({ err: error }, 'batch: could not write the run history record; the run goes on')),
    );
    return this.writing;
  }
}
