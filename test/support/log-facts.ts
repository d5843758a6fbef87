/**
 * Independent counts for fault tests: what is really on the topic (read back through the EventLog,
 * not what HTTP answers claimed) and how far the lake has archived it.
 */
import { DeltaTable, EventValidator, encodeEvent, lakeLayout, txnAppId, type EventLog, type LaminaConfig, type LaminaEvent, type LogRecord, type ObjectStore } from '@lamina/shared';

/** Every record of every partition of the topic, up to its current end. */
export async function readTopic(log: EventLog, topic: string): Promise<LogRecord[]> {
  const ends = await log.endOffsets(topic);
  const records: LogRecord[] = [];
  for (const [partition, end] of ends.entries()) {
    for await (const chunk of log.readRange(topic, partition, 0, end)) records.push(...chunk);
  }
  return records;
}

/** The valid events among the records: what the archiver archives and every view counts. */
export function validEvents(config: LaminaConfig, records: readonly LogRecord[]): LaminaEvent[] {
  const validator = new EventValidator(config);
  return records.flatMap((r) => {
    const result = validator.validateMessage(r.value);
    return result.ok ? [result.event] : [];
  });
}

/** Rows of every raw table (valid events archived). */
export async function rawRows(store: ObjectStore, config: LaminaConfig): Promise<number> {
  let total = 0;
  for (const type of Object.keys(config.eventTypes)) total += (await DeltaTable.open(store, lakeLayout.rawTable(type)).readAll()).numRows;
  return total;
}

/** Offsets the lake has archived, summed over partitions (the frontier table's `txn`s); 0 before the first commit. */
export async function archivedOffsets(store: ObjectStore, config: LaminaConfig, epoch = 0): Promise<number> {
  const snapshot = await DeltaTable.open(store, lakeLayout.frontierTable).snapshot().catch(() => undefined);
  if (!snapshot) return 0;
  let total = 0;
  for (let p = 0; p < config.partitions; p++) total += (snapshot.txns.get(txnAppId(config.topic, p, epoch)) ?? -1) + 1;
  return total;
}

/** Polls `probe` every 200 ms until it returns something other than undefined; fails after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Appends events as HTTP ingest would (keyed by the event's key field, encoded alike), straight to the log. */
export async function produceEvents(log: EventLog, config: LaminaConfig, events: readonly unknown[]): Promise<void> {
  const validator = new EventValidator(config);
  const records = events.map((raw) => {
    const result = validator.validate(raw);
    if (!result.ok) throw new Error(`test event is invalid: ${result.reason}`);
    return { key: validator.keyOf(result.event), value: encodeEvent(result.event) };
  });
  for (let i = 0; i < records.length; i += 2000) await log.produce(config.topic, records.slice(i, i + 2000));
}

/** The valid events on the topic, once two reads `gapMs` apart agree (late writes have landed). */
export async function settledEvents(log: EventLog, config: LaminaConfig, { gapMs, timeoutMs }: { gapMs: number; timeoutMs: number }): Promise<LaminaEvent[]> {
  let previous = -1;
  return waitFor('the topic stops growing', async () => {
    const events = validEvents(config, await readTopic(log, config.topic));
    if (events.length === previous) return events;
    previous = events.length;
    await new Promise((r) => setTimeout(r, gapMs));
    return undefined;
  }, timeoutMs);
}
