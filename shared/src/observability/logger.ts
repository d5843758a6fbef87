import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where the JSON lines go: stdout for services; stderr for one-shot commands, whose stdout is their answer. */
  to?: 'stdout' | 'stderr';
  /**
   * Write each line at once: for a worker thread, whose buffered lines nothing flushes when it ends,
   * and whose lines then never interleave with the main thread's on the same fd.
   */
  sync?: boolean;
}

/** Structured JSON logs (pino); one child logger per layer names its source. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = { level: options.level ?? 'info', name: options.name ?? 'lamina', base: undefined };
  const toStderr = options.to === 'stderr';
  return toStderr || options.sync ? pino(settings, pino.destination({ fd: toStderr ? 2 : 1, sync: true })) : pino(settings);
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = pino({ level: 'silent' });
