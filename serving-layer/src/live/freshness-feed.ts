/**
 * One poller of the serving layer's freshness for every live query: it runs only while someone
 * listens, and tells the listeners when the version of what answers would be made of moved. Polling
 * (not a push from the speed layer) because a distributed speed layer is only reachable through its
 * status endpoint; one poller keeps that cost independent of the number of subscriptions.
 */
import type { Logger } from '@lamina/shared';
import type { AnswerMeta } from '../query-service.js';
import { answerVersion } from './answer-version.js';

export class FreshnessFeed {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private version: string | undefined;
  /** Bumped at each start and stop, so a poll still running from a stopped round does not go on. */
  private round = 0;

  constructor(
    private readonly freshness: () => Promise<AnswerMeta>,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  /** Calls `listener` after each change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.schedule(++this.round);
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      this.round++;
      clearTimeout(this.timer);
      this.version = undefined;
    };
  }

  private schedule(round: number): void {
    this.timer = setTimeout(() => void this.poll(round), this.pollMs);
    this.timer.unref();
  }

  private async poll(round: number): Promise<void> {
    let version: string;
    try {
      version = answerVersion(await this.freshness());
    } catch (error) {
      // An unreachable speed instance or store: listeners re-ask and get the error with its code.
      this.logger.debug({ err: error }, 'serving: freshness unavailable for live queries');
      version = `unavailable: ${(error as Error).message}`;
    }
    if (round !== this.round) return;
    if (version !== this.version) {
      this.version = version;
      for (const listener of this.listeners) listener();
    }
    this.schedule(round);
  }
}
