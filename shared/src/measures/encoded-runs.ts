/**
 * Stored sketch states (encoded bytes, read in place) that are merged into one state at once: a scan
 * collects a group's runs, then the state is sized once for all of them instead of growing per row.
 * Run k is bytes(k)[start(k) .. end(k)), format byte included.
 */
export interface EncodedRuns {
  readonly length: number;
  bytes(k: number): Uint8Array;
  start(k: number): number;
  end(k: number): number;
}
