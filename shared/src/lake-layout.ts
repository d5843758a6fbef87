/** Where everything lives in the object store. One place, so every layer agrees. */
export const lakeLayout = {
  /** Raw, valid events: a Delta table, append-only, one `txn` per log partition. */
  eventsTable: 'lake/events',
  /** Messages found on the topic that failed validation, with the reason. */
  quarantineTable: 'lake/quarantine',
  /** One Delta table per view, overwritten by each generation (the manifest pins the version). */
  viewTable: (view: string) => `views/${view}`,
  /** Generation manifests, `generations/<20-digit number>.json`, created once, never rewritten. */
  generationsPrefix: 'generations/',
  /** A hint naming the newest published generation, so readers need not list from the start. */
  currentPointer: 'generations/CURRENT',
} as const;

/** appId of the Delta `txn` action that records a partition's archived frontier. */
export function txnAppId(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}
