/**
 * Deadlines for calls into the log and the store: a stalled dependency must give the caller an
 * error it can act on within a bound, never a hang. The call itself is not cancelled (kafkajs and
 * the AWS SDK offer no general abort), so it may still complete after the deadline; callers that
 * answer someone say so (HTTP ingest: the events may have been written).
 */

/** Rejects with `onTimeout()` unless `promise` settles within `ms`; the timer never outlives the race. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
