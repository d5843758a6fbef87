/**
 * One live query: the answer now, then a new answer whenever the freshness feed says the data may
 * have moved and the answer's own version did move, never more often than `minIntervalMs`.
 *
 * Errors: a retriable one (INCOMPLETE_COVERAGE, VIEW_INCOMPLETE, UNAVAILABLE) is emitted once as an
 * event and the query is asked again every interval until it answers, so a dashboard shows the
 * problem and recovers by itself; any other (a bad argument, a bug) is emitted and ends the stream,
 * since asking again cannot help.
 */
import { Repeater } from 'graphql-yoga';
import { LaminaError } from '@lamina/shared';
import type { Answer } from '../query-service.js';
import { answerVersion } from './answer-version.js';
import type { FreshnessFeed } from './freshness-feed.js';

export type LiveEvent<T> = { answer: T } | { error: unknown };

export interface LiveAnswerOptions {
  feed: FreshnessFeed;
  minIntervalMs: number;
  /** Called when the stream starts and when it ends (client gone, server stopping, fatal error). */
  onOpen?: () => void;
  onClose?: () => void;
}

const retriable = (error: unknown) => error instanceof LaminaError && error.retriable;
const errorKey = (error: unknown) => (error instanceof LaminaError ? `${error.code}: ${error.message}` : String(error));

export function liveAnswer<T extends { answer: Answer }>(ask: () => Promise<T>, options: LiveAnswerOptions): Repeater<LiveEvent<T>> {
  return new Repeater<LiveEvent<T>>(async (push, stop) => {
    let stopped = false;
    let dirty = true;
    let wake: (() => void) | undefined;
    void stop.then(() => {
      stopped = true;
      wake?.();
    });
    const unsubscribe = options.feed.subscribe(() => {
      dirty = true;
      wake?.();
    });
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = ms === Infinity ? undefined : setTimeout(resolve, Math.max(0, ms));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    options.onOpen?.();
    let lastVersion: string | undefined;
    let lastError: string | undefined;
    let nextAt = 0;
    try {
      while (!stopped) {
        if (!dirty) await pause(Infinity);
        if (stopped) break;
        // A change during the wait only marks the query dirty again; the wait runs to its end.
        while (!stopped && Date.now() < nextAt) await pause(nextAt - Date.now());
        if (stopped) break;
        dirty = false;
        try {
          const answer = await ask();
          lastError = undefined;
          const version = answerVersion(answer.answer.meta);
          if (version === lastVersion) continue;
          lastVersion = version;
          nextAt = Date.now() + options.minIntervalMs;
          await push({ answer });
        } catch (error) {
          nextAt = Date.now() + options.minIntervalMs;
          if (!retriable(error)) {
            await push({ error });
            break;
          }
          // Ask again next interval; say the same problem only once, and answer afresh after it.
          dirty = true;
          lastVersion = undefined;
          if (errorKey(error) !== lastError) {
            lastError = errorKey(error);
            await push({ error });
          }
        }
      }
    } finally {
      unsubscribe();
      options.onClose?.();
      stop();
    }
  });
}
