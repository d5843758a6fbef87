/**
 * The EventLog port: a partitioned, append-only log with Kafka's semantics, so that the Kafka
 * adapter and the embedded (file-backed) adapter are interchangeable under every layer.
 *
 * Offsets are JS numbers: exact up to 2^53, far beyond any partition's lifetime.
 */

export interface LogRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: Uint8Array;
  /** Milliseconds since the epoch: when the log accepted the record. */
  timestamp: number;
}

export interface ProduceRecord {
  /** Decides the partition (Kafka's murmur2 partitioner); null spreads records round-robin. */
  key: string | null;
  value: Uint8Array | string;
}

export interface RecordPosition {
  partition: number;
  offset: number;
}

export interface PartitionBatch {
  partition: number;
  /** Contiguous in offset order, except for offsets the log itself skips (e.g. Kafka control records). */
  records: LogRecord[];
  /** The partition's end offset (next offset to be written) when the batch was fetched. */
  highWatermark: number;
}

export interface ConsumerHandlers {
  /**
   * The group gave this member these partitions. Resolve to the offset each one must be read from:
   * the adapter guarantees the first batch of every assigned partition starts there (or at the first
   * existing offset after it) — whatever the group's committed offsets say.
   */
  onAssigned(partitions: number[]): Promise<Map<number, number>>;
  /** The group took these partitions away (rebalance, stop). No batch of theirs follows until reassigned. */
  onRevoked(partitions: number[]): Promise<void>;
  /** Batches of one partition arrive in order; the next one waits until this promise resolves. */
  onBatch(batch: PartitionBatch): Promise<void>;
  /**
   * The member stopped for good after an error (Kafka: kafkajs crashed it and will not rejoin) and
   * nothing more will be delivered. Without this the owner would idle forever, looking healthy.
   */
  onFailed?(error: unknown): void;
}

export interface ConsumerOptions {
  groupId: string;
  topic: string;
  /** Upper bound on records per delivered batch. */
  maxBatchRecords?: number;
}

export interface LogConsumer {
  /** Joins the group and starts delivering; resolves once the first assignment has been handled. */
  start(handlers: ConsumerHandlers): Promise<void>;
  /** Re-positions an assigned partition: its next batch starts at `offset` (may go backwards). */
  seek(partition: number, offset: number): void;
  /** Partitions currently assigned to this member. */
  assignment(): number[];
  /** Leaves the group (revoking its partitions) and stops fetching. Idempotent. */
  stop(): Promise<void>;
}

export interface EventLog {
  /**
   * Identifies the log's storage: Kafka's cluster id, or the embedded log's id (made with its folder).
   * A wiped broker or folder gets a new one, so the lake can tell that its offsets mean other events now.
   */
  clusterId(): Promise<string>;
  /** Creates the topic with `partitions` partitions unless it exists; resolves to the real count. */
  ensureTopic(topic: string, partitions: number): Promise<number>;
  partitionCount(topic: string): Promise<number>;
  /** Per partition (index = partition), the offset the next record will get (Kafka's high watermark). */
  endOffsets(topic: string): Promise<number[]>;
  /**
   * Appends records. Resolves only once they are durable (Kafka: acks=all with the idempotent
   * producer; embedded: fsynced), with each record's position, in input order.
   */
  produce(topic: string, records: ProduceRecord[]): Promise<RecordPosition[]>;
  /** Reads the records of [fromOffset, toOffset) of one partition, in chunks. */
  readRange(topic: string, partition: number, fromOffset: number, toOffset: number): AsyncIterable<LogRecord[]>;
  /** A group member; partitions are shared out among the members of the same group. */
  consumer(options: ConsumerOptions): LogConsumer;
  /** Records a group's progress (informational for Lamina: the lake's txn actions are the truth). */
  commitOffsets(groupId: string, topic: string, offsets: RecordPosition[]): Promise<void>;
  /** The group's committed offsets by partition; partitions never committed are absent. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, number>>;
  close(): Promise<void>;
}
