/** The envelope every Lamina event travels in, on the topic and in the lake. */
export interface LaminaEvent {
  id: string;
  type: string;
  /** Event time, milliseconds since the epoch (UTC). Buckets come from this, never from arrival time. */
  ts: number;
  /** Optional partitioning key; default: the type's keyField value, else the id. */
  key?: string;
  data: Record<string, unknown>;
}

/** An event together with where the log put it: coverage is decided by (partition, offset). */
export interface PositionedEvent {
  event: LaminaEvent;
  partition: number;
  offset: number;
}
