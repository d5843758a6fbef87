/**
 * How a Lamina process ends: always with a log line that says why, and an exit code that says how.
 *
 *   0   stopped on SIGINT/SIGTERM, cleanly
 *   1   stopping failed, or a second signal arrived while stopping
 *   70  a bug or an unexpected end: an unhandled rejection, an uncaught exception, a worker loop that
 *       ended on an error, or a long-running command whose event loop drained (Node would exit 0)
 *   75  a retriable failure (log or store unreachable), 78 a configuration error: see main.ts
 *
 * Why the drain guard: a long-running command must never end by itself. When every handle is gone
 * (the embedded archiver idle after catching up, its flush timer unref'd) Node exits 0 without a
 * word; `beforeExit` fires exactly then, so it is turned into a logged failure.
 *
 * Why the parent watch: `npx lamina …` and `npm run …` start Lamina through `sh -c`, and npm
 * forwards SIGTERM only to that shell, which dies without passing it on; the worker would keep
 * running under PID 1. Started by npm (its lifecycle variables are set), Lamina therefore watches
 * its parent and stops as on SIGTERM when the parent is gone.
 */
import type { LaminaError, Logger } from '@lamina/shared';

export const EXIT = { ok: 0, stopFailed: 1, dataError: 65, software: 70, unavailable: 75, config: 78 } as const;

/**
 * The exit code of a command that failed with a Lamina error — what an orchestrator (Airflow,
 * Dagster, cron) acts on: 65 the data failed a quality gate (fix the data, do not retry blindly),
 * 75 retriable (the store or log unreachable, another run holds the lease: retry later), 78 fix the
 * configuration. See docs/operations.md ("Exit codes").
 */
export function exitCodeOf(error: LaminaError): number {
  if (error.code === 'QUALITY_GATE_FAILED' || error.code === 'REPLAY_UNAVAILABLE') return EXIT.dataError;
  return error.retriable ? EXIT.unavailable : EXIT.config;
}

const PARENT_POLL_MS = 500;

/** Unhandled rejections and uncaught exceptions end the process with a fatal log line and 70. */
export function installCrashHandlers(logger: Logger): void {
  const die = (what: string) => (error: unknown) => {
    logger.fatal({ err: error }, `${what}: ${(error as Error)?.message ?? String(error)}; exiting with ${EXIT.software}`);
    process.exit(EXIT.software);
  };
  process.on('unhandledRejection', die('unhandled promise rejection'));
  process.on('uncaughtException', die('uncaught exception'));
}

/**
 * Node's process warnings go to the structured log (level warn) instead of raw stderr lines, so a
 * log pipeline sees them. One is dropped: kafkajs schedules its request queue's check with a
 * negative delay (`throttledUntil` starts at -1; kafkajs issue #1751, unfixed in 2.2.4), which Node
 * has always run after 1 ms and Node 24 now reports on every connection.
 */
export function installWarningLog(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error) => {
    if (warning.name === 'TimeoutNegativeWarning' && /kafkajs[\\/]src[\\/]network[\\/]requestQueue/.test(warning.stack ?? '')) return;
    logger.warn({ warning: warning.name, stack: warning.stack }, `process warning: ${warning.message}`);
  });
}

export interface LifetimeOptions {
  /** Stop as on SIGTERM when the parent process goes away (set when npm started us). */
  watchParent: boolean;
}

/**
 * The lifetime of one long-running command (dev, serve, speed, archive, batch schedule). Create it
 * before starting the workers, so signals are handled from the first moment and the workers can
 * report a fatal end through fail(); then hand it the stop function with runUntilStopped().
 */
export class ProcessLifetime {
  private stopFn: (() => Promise<void>) | undefined;
  private ending = false;
  /** A signal (or failure) that came while the workers were still starting. */
  private pending: { reason: string; code: number } | undefined;
  private parentWatch: NodeJS.Timeout | undefined;

  /** Takes over SIGINT/SIGTERM at once, so a signal during start-up stops the process cleanly too. */
  constructor(
    private readonly command: string,
    private readonly logger: Logger,
    options: LifetimeOptions,
  ) {
    process.on('SIGINT', () => this.end('SIGINT', EXIT.ok));
    process.on('SIGTERM', () => this.end('SIGTERM', EXIT.ok));
    // From the first moment too: a parent that dies while the workers start (a supervisor stopping it
    // right after its ready line) would otherwise be taken for the reaper that adopted the process.
    if (options.watchParent) this.watchParent();
  }

  /** Runs until SIGINT/SIGTERM (or the parent's end), then stops cleanly; a second signal exits at once. */
  runUntilStopped(stop: () => Promise<void>): void {
    this.stopFn = stop;
    process.on('beforeExit', () => {
      if (this.ending) return;
      this.logger.fatal(`lamina ${this.command}: the event loop drained although nothing asked it to stop (a worker loop ended without an error?); exiting with ${EXIT.software}`);
      process.exit(EXIT.software);
    });
    if (this.pending) this.finish(this.pending.reason, this.pending.code);
  }

  /** A worker loop ended for good (e.g. the log consumer died): log it, stop what is left, exit 70. */
  fail(error: unknown, what: string): void {
    this.logger.fatal({ err: error }, `lamina ${this.command}: ${what}: ${(error as Error)?.message ?? String(error)}; stopping, exit code ${EXIT.software}`);
    this.end('failure', EXIT.software);
  }

  private end(reason: string, code: number): void {
    if (this.ending) {
      if (reason.startsWith('SIG')) {
        this.logger.warn(`lamina ${this.command}: ${reason} while stopping; exiting at once`);
        process.exit(EXIT.stopFailed);
      }
      return;
    }
    this.ending = true;
    clearInterval(this.parentWatch);
    if (reason.startsWith('SIG')) this.logger.info(`lamina ${this.command}: ${reason} received, stopping${this.stopFn ? '' : ' once started'}`);
    if (this.stopFn) this.finish(reason, code);
    else this.pending = { reason, code };
  }

  private finish(reason: string, code: number): void {
    this.stopFn!().then(
      () => {
        this.logger.info({ exitCode: code }, `lamina ${this.command} stopped (${reason})`);
        process.exit(code);
      },
      (error: unknown) => {
        this.logger.error({ err: error }, `lamina ${this.command}: error while stopping after ${reason}`);
        process.exit(code === EXIT.ok ? EXIT.stopFailed : code);
      },
    );
  }

  private watchParent(): void {
    const parent = process.ppid;
    this.parentWatch = setInterval(() => {
      if (process.ppid === parent) return;
      this.logger.warn({ parent }, `lamina ${this.command}: the process that started it (pid ${parent}, npm) is gone; stopping as on SIGTERM`);
      this.end('parent exited', EXIT.ok);
    }, PARENT_POLL_MS);
    this.parentWatch.unref();
  }
}
