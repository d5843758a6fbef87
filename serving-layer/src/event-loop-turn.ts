/** Lets the event loop run what waits (ingest, /healthz, other queries) before long work goes on. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
