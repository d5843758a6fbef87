/**
 * The dashboard's script and styles (its TypeScript, uPlot and uPlot's CSS), bundled and minified
 * by esbuild in memory on first request: no build step to forget, nothing fetched at runtime, and the
 * page always matches the code it is served from.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface DashboardBundle {
  js: string;
  css: string;
}

const entry = fileURLToPath(new URL('./client/main.ts', import.meta.url));
let bundle: Promise<DashboardBundle> | undefined;

export function dashboardBundle(): Promise<DashboardBundle> {
  bundle ??= bundleNow().catch((error: unknown) => {
    bundle = undefined;
    throw error;
  });
  return bundle;
}

async function bundleNow(): Promise<DashboardBundle> {
  const result = await build({
    entryPoints: { app: entry },
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    outdir: 'dashboard',
    write: false,
    logLevel: 'silent',
  });
  const text = (extension: string) => result.outputFiles.find((f) => f.path.endsWith(extension))?.text ?? '';
  return { js: text('.js'), css: text('.css') };
}
