import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  name?: string;
}

/** Structured JSON logs on stdout (pino); one child logger per layer names its source. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({ level: options.level ?? 'info', name: options.name ?? 'lamina', base: undefined });
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = pino({ level: 'silent' });
