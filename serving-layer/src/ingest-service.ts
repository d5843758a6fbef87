/**
 * HTTP ingest: validates each event, appends the valid ones to the log and answers only once they
 * are durable. Invalid events are answered with their reason; the valid ones of the same request
 * are kept.
 *
 * Deadline: if the log has not acknowledged within `timeoutMs` (a stalled or unreachable broker),
 * the request fails with a retriable UnavailableError (HTTP 503) instead of hanging. The append is
 * not cancelled — Kafka cannot take it back — so the events may still land: a client that retries
 * stores them twice, and deduplication (events/duplicates.ts) counts them once.
 *
 * A log that is not the log the lake describes (reset, replaced: see the log guard) gets no event:
 * the request fails with LogMismatchError (HTTP 503) and its reason, instead of a 200 for events no
 * layer would count.
 */
import { EventValidator, LaminaError, LogMismatchError, ingestToken, shapeProblem, shortText, type LaminaEvent, type ProduceRecord, type RecordPosition, UnavailableError, ValidationError, counter, encodeEvent, withDeadline, type EventLog, type LaminaConfig, type Registry } from '@lamina/shared';

const DAY_MS = 86_400_000;
/** Epoch milliseconds below this (1973-03-03) are almost surely epoch seconds sent as milliseconds. */
const SECONDS_LOOK = 1e11;

export interface IngestResult {
  accepted: number;
  rejected: { index: number; id: string | null; reason: string }[];
  /** Read-your-writes: pass as a query's `consistentWith` to see these events in its answer. */
  token?: string;
}

export class IngestService {
  private readonly validator: EventValidator;
  private readonly metrics;

  constructor(
    private readonly config: LaminaConfig,
    private readonly log: EventLog,
    registry: Registry,
    private readonly timeoutMs = 10_000,
    /** The log guard's findings: the problem if the log does not match the lake, and the log epoch. */
    private readonly guard: { problem(): string | undefined; epoch(): number } = { problem: () => undefined, epoch: () => 0 },
    private readonly now: () => number = Date.now,
  ) {
    this.validator = new EventValidator(config);
    this.metrics = {
      accepted: counter(registry, 'lamina_ingest_events_accepted_total', 'Events appended to the log by HTTP ingest'),
      rejected: counter(registry, 'lamina_ingest_events_rejected_total', 'Events refused by HTTP ingest (invalid)'),
      unavailable: counter(registry, 'lamina_ingest_requests_unavailable_total', 'Ingest requests answered 503: the log failed or did not acknowledge within the deadline'),
    };
  }

  get maxBodyBytes(): number {
    return this.config.ingest.maxBodyBytes;
  }

  async ingest(body: unknown): Promise<IngestResult> {
    const events = Array.isArray(body) ? body : [body];
    const limits = this.config.ingest;
    if (events.length > limits.maxEventsPerRequest) throw new ValidationError(`at most ${limits.maxEventsPerRequest} events per request, got ${events.length}; split the request (ingest.maxEventsPerRequest)`);
    const rejected: IngestResult['rejected'] = [];
    const records: ProduceRecord[] = [];
    const now = this.now();
    events.forEach((raw, index) => {
      const shape = shapeProblem(raw, limits);
      const result = shape === undefined ? this.validator.validate(raw) : ({ ok: false, reason: shape } as const);
      const reason = result.ok ? this.timeProblem(result.event, now) : result.reason;
      if (result.ok && reason === undefined) records.push({ key: this.validator.keyOf(result.event), value: encodeEvent(result.event) });
      else {
        const id = raw !== null && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? shortText((raw as { id: string }).id) : null;
        rejected.push({ index, id, reason: reason! });
      }
    });
    let positions: RecordPosition[] = [];
    if (records.length > 0) {
      const problem = this.guard.problem();
      if (problem !== undefined) {
        this.metrics.unavailable.inc();
        throw new LogMismatchError(problem);
      }
      try {
        positions = await withDeadline(this.log.produce(this.config.topic, records), this.timeoutMs, () => new UnavailableError(
          `the log did not acknowledge ${records.length} event(s) within ${this.timeoutMs} ms (broker stalled or unreachable); they may or may not have been stored: retry later with the same events (copies are counted once while deduplication is on)`,
        ));
      } catch (error) {
        if (error instanceof LaminaError && error.retriable) this.metrics.unavailable.inc();
        throw error;
      }
    }
    this.metrics.accepted.inc(records.length);
    this.metrics.rejected.inc(rejected.length);
    return { accepted: records.length, rejected, ...(positions.length > 0 ? { token: ingestToken(this.guard.epoch(), positions) } : {}) };
  }

  /**
   * Event times outside [now − maxPastDays, now + maxFutureMinutes] are refused here, at the door, and
   * not by the validator the archiver and the speed layer share: "now" differs between them, and they
   * must never disagree about a message already on the log.
   */
  private timeProblem(event: LaminaEvent, now: number): string | undefined {
    const { maxPastDays, maxFutureMinutes } = this.config.ingest;
    const earliest = now - maxPastDays * DAY_MS;
    const latest = now + maxFutureMinutes * 60_000;
    if (event.ts >= earliest && event.ts <= latest) return undefined;
    const at = Math.abs(event.ts) <= 8.64e15 ? new Date(event.ts).toISOString() : `${event.ts} ms`;
    if (event.ts < earliest) {
      const seconds = event.ts < SECONDS_LOOK ? `; it looks like epoch seconds — send milliseconds (${event.ts} × 1000) or an ISO-8601 date-time` : '';
      return `ts: ${at} is more than ${maxPastDays} days ago (ingest.maxPastDays)${seconds}`;
    }
    return `ts: ${at} is more than ${maxFutureMinutes} minutes ahead of this server's clock (ingest.maxFutureMinutes)`;
  }
}
