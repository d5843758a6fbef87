/**
 * Errors across a thread boundary. Structured cloning keeps an Error's message but not its class, so
 * `retriable` and `instanceof UnavailableError` would be lost: an error crosses as its name, message,
 * retriable flag and (for validation) issues, and is rebuilt as the same Lamina error on the other side.
 */
import {
  ConfigError,
  ConflictError,
  CorruptDataError,
  CoverageError,
  LaminaError,
  LogMismatchError,
  NotFoundError,
  NotYetVisibleError,
  PayloadTooLargeError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
  ViewIncompleteError,
} from '../errors.js';

export interface WireError {
  name: string;
  message: string;
  /** A LaminaError's code, or a system error's (ENOENT). */
  code?: string;
  retriable: boolean;
  lamina: boolean;
  issues?: string[];
  /** Where it was thrown, on the other thread: what a log of it should show. */
  stack?: string;
}

const REBUILD: Record<string, (message: string, issues: string[]) => Error> = {
  ConfigError: (m) => new ConfigError(m),
  ConflictError: (m) => new ConflictError(m),
  CorruptDataError: (m) => new CorruptDataError(m),
  CoverageError: (m) => new CoverageError(m),
  LogMismatchError: (m) => new LogMismatchError(m),
  NotFoundError: (m) => new NotFoundError(m),
  NotYetVisibleError: (m) => new NotYetVisibleError(m),
  PayloadTooLargeError: (m, issues) => new PayloadTooLargeError(m, issues),
  UnavailableError: (m) => new UnavailableError(m),
  UnsupportedMediaTypeError: (m, issues) => new UnsupportedMediaTypeError(m, issues),
  ValidationError: (m, issues) => new ValidationError(m, issues),
  ViewIncompleteError: (m) => new ViewIncompleteError(m),
};

export function toWireError(error: unknown): WireError {
  if (error instanceof LaminaError) {
    return { name: error.name, message: error.message, code: error.code, retriable: error.retriable, lamina: true, ...(error instanceof ValidationError ? { issues: error.issues } : {}), ...(error.stack ? { stack: error.stack } : {}) };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, retriable: false, lamina: false, ...(typeof code === 'string' ? { code } : {}), ...(error.stack ? { stack: error.stack } : {}) };
  }
  return { name: 'Error', message: String(error), retriable: false, lamina: false };
}

/**
 * The error as thrown on the other side: the same class for shared's Lamina errors; for another
 * layer's (a lease held, a step timed out) a LaminaError of the same name, code and retriable.
 */
export function fromWireError(wire: WireError): Error {
  const rebuild = REBUILD[wire.name];
  const error = rebuild ? rebuild(wire.message, wire.issues ?? []) : wire.lamina ? new LaminaError(wire.code ?? 'UNKNOWN', wire.message, { retriable: wire.retriable }) : new Error(wire.message);
  error.name = wire.name;
  if (!wire.lamina && wire.code !== undefined) (error as Error & { code: string }).code = wire.code;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
