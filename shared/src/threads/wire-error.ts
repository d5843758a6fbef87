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
  code?: string;
  retriable: boolean;
  issues?: string[];
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
    return { name: error.name, message: error.message, code: error.code, retriable: error.retriable, ...(error instanceof ValidationError ? { issues: error.issues } : {}) };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, retriable: false };
  return { name: 'Error', message: String(error), retriable: false };
}

/** The error as thrown on the other side: the same Lamina class where it was one, else a plain Error. */
export function fromWireError(wire: WireError): Error {
  const rebuild = REBUILD[wire.name];
  if (rebuild) return rebuild(wire.message, wire.issues ?? []);
  if (wire.code !== undefined) return new LaminaError(wire.code, wire.message, { retriable: wire.retriable });
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
}
