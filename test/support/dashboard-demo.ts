/**
 * An embedded Lamina with the bundled example config on a fresh data folder, and demo page views
 * relative to now (so the dashboard's default "last 24 hours" shows them): what the browser test and
 * the screenshot script (scripts/dashboard-screenshot.ts) both look at.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded, type EmbeddedLamina } from '@lamina/cli';
import { createRuntime } from '../../cli/src/layers.js';
import { loadConfig } from '../../cli/src/load-config.js';
import { readRuntimeOptions } from '../../cli/src/runtime-options.js';
import { graphql, pageViews, postEvents } from './http.js';

export interface DemoLamina {
  lamina: EmbeddedLamina;
  base: string;
  stop(): Promise<void>;
}

export async function startDemoLamina(): Promise<DemoLamina> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lamina-dashboard-'));
  const { config } = await loadConfig(undefined);
  const lamina = await startEmbedded(createRuntime(config, readRuntimeOptions({ LAMINA_DATA_DIR: dataDir, PORT: '0', LAMINA_LOG_LEVEL: 'silent' }), 'stdout'), { schedule: false });
  return {
    lamina,
    base: `http://127.0.0.1:${lamina.port}`,
    async stop() {
      await lamina.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Posts `count` page views spread over the `spreadMs` before `now`; fails unless all are accepted. */
export async function postRecentPageViews(base: string, count: number, options: { prefix: string; spreadMs: number; now?: number; users?: number }): Promise<void> {
  const now = options.now ?? Date.now();
  const events = pageViews(count, { prefix: options.prefix, from: now - options.spreadMs, spreadMs: options.spreadMs, ...(options.users ? { users: options.users } : {}) });
  const posted = await postEvents(base, events);
  if (posted.body.accepted !== count) throw new Error(`posted ${count} page views, ${posted.body.accepted} accepted: ${JSON.stringify(posted.body.rejected.slice(0, 3))}`);
}

export async function runBatch(base: string): Promise<number> {
  const result = await graphql<{ runBatch: { generation: number } }>(base, 'mutation { runBatch { generation } }');
  if (!result.data) throw new Error(`runBatch failed: ${JSON.stringify(result.errors)}`);
  return result.data.runBatch.generation;
}
