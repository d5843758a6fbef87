/**
 * One error root for all of Lamina. Every error says whether retrying the same call may succeed
 * (`retriable`), so callers decide between backoff and giving up without parsing messages.
 */
export class LaminaError extends Error {
  readonly retriable: boolean;
  readonly code: string;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** The project config or an environment variable is wrong; the message names the path and the fix. */
export class ConfigError extends LaminaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/** An event (or query argument) does not match its declared schema. */
export class ValidationError extends LaminaError {
  readonly issues: string[];
  constructor(message: string, issues: string[] = []) {
    super('VALIDATION_FAILED', message);
    this.issues = issues;
  }
}

/** A requested object, topic, table version or generation does not exist. */
/** A request body larger than the endpoint takes (HTTP 413). */
export class PayloadTooLargeError extends ValidationError {
  readonly status = 413;
}

/** A request body of a media type the endpoint does not take (HTTP 415). */
export class UnsupportedMediaTypeError extends ValidationError {
  readonly status = 415;
}

export class NotFoundError extends LaminaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('NOT_FOUND', message, options);
  }
}

/**
 * Someone else won a race for a create-only write (a lake commit version, a generation number).
 * Retriable: re-read the state and try again.
 */
export class ConflictError extends LaminaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFLICT', message, { retriable: true, ...options });
  }
}

/** Stored bytes fail their checksum or cannot be decoded; not retriable, needs an operator. */
export class CorruptDataError extends LaminaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CORRUPT_DATA', message, options);
  }
}

/** A backing service (broker, object store, speed instance) is unreachable or timed out. */
export class UnavailableError extends LaminaError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('UNAVAILABLE', message, { retriable: true, ...options });
  }
}

/** The realtime part of an answer does not cover every partition exactly once. */
export class CoverageError extends LaminaError {
  constructor(message: string) {
    super('INCOMPLETE_COVERAGE', message, { retriable: true });
  }
}

/** Resolves undefined where `promise` rejects with NotFoundError (for `tryGet`-style calls). */
export async function unlessNotFound<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * A view's definition is newer than the batch part the served generation holds (a view was added or
 * changed): an answer now would be silently short, so there is none until a generation covers it.
 * Retriable: the recompute is under way (embedded mode) or due at the next batch run.
 */
export class ViewIncompleteError extends LaminaError {
  constructor(message: string) {
    super('VIEW_INCOMPLETE', message, { retriable: true });
  }
}

/**
 * The log is not the log the lake describes (its data was wiped, the topic recreated, another cluster):
 * its offsets now name other events, so archiving, folding or publishing would lose or double-count.
 * Retriable in the sense that it clears once an operator starts a new log epoch (`lamina log new-epoch`).
 */
export class LogMismatchError extends LaminaError {
  constructor(message: string) {
    super('LOG_MISMATCH', message, { retriable: true });
  }
}

/** A read-your-writes query timed out before the realtime side covered the events of its token. */
export class NotYetVisibleError extends LaminaError {
  constructor(message: string) {
    super('NOT_YET_VISIBLE', message, { retriable: true });
  }
}
