/** Where everything lives in the object store. One place, so every layer agrees. */
export const lakeLayout = {
  /** Marks the lake's format; a lake without it (or with another version) is refused at start. */
  formatMarker: 'lake/_lamina.json',
  /** One typed Delta table per event type: valid events, partitioned by event date. */
  rawTable: (eventType: string) => `lake/raw/${eventType}`,
  /** Messages found on the topic that failed validation, with the reason. */
  quarantineTable: 'lake/quarantine',
  /**
   * The archive frontier: a Delta table of `txn` actions only, committed after the raw and quarantine
   * tables of each flush. Its txns are the archived frontier A_p every batch reads.
   */
  frontierTable: 'lake/frontier',
  /** The log the lake describes, per epoch: `lake/_log/epochs/<10-digit epoch>.json`, create-only. */
  epochsPrefix: 'lake/_log/epochs/',
  /** The schema registry: `lake/_schemas/<type>/<10-digit version>.json`, create-only. */
  schemasPrefix: 'lake/_schemas/',
  /** One Delta table per view definition (fingerprint); generations pin its versions. */
  viewTable: (view: string, fingerprint: string) => `views/${view}/${fingerprint}`,
  /** Generation manifests, `generations/<20-digit number>.json`, created once, never rewritten. */
  generationsPrefix: 'generations/',
  /** The batch run history: `runs/<20-digit start ms>-<run id>.json`, rewritten as the run goes. */
  runsPrefix: 'runs/',
  /** Batch leases: `runs/_lease/<20-digit generation>.<4-digit take>.json`, create-only (run-lease.ts). */
  leasePrefix: 'runs/_lease/',
  /**
   * What an engine outside this process (Spark on a cluster) writes for a run to collect:
   * `runs/_scratch/<uuid>/…`, deleted once collected.
   */
  engineScratchPrefix: 'runs/_scratch/',
  /** A hint naming the newest published generation, so readers need not list from the start. */
  currentPointer: 'generations/CURRENT',
} as const;

/** appId of the Delta `txn` action that records how far a partition of a log epoch is archived. */
export function txnAppId(topic: string, partition: number, epoch = 0): string {
  return epoch === 0 ? `${topic}/${partition}` : `${topic}/e${epoch}/${partition}`;
}
