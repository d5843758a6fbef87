/** Finds and validates the project config: LAMINA_CONFIG, else ./lamina.config.ts, else the bundled clickstream example. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, validateConfig, type LaminaConfig } from '@lamina/shared';
import exampleConfig from './example-config.js';

export async function loadConfig(path: string | undefined, topicOverride?: string): Promise<{ config: LaminaConfig; origin: string }> {
  const candidate = path ?? resolve('lamina.config.ts');
  let raw: unknown = exampleConfig;
  let origin = 'the bundled clickstream example config';
  if (path !== undefined || existsSync(candidate)) {
    if (!existsSync(candidate)) throw new ConfigError(`LAMINA_CONFIG points to ${candidate}, which does not exist`);
    try {
      const mod = (await import(pathToFileURL(candidate).href)) as { default?: unknown };
      raw = mod.default;
    } catch (cause) {
      throw new ConfigError(`cannot load ${candidate}: ${(cause as Error).message}`, { cause });
    }
    origin = candidate;
    if (raw === undefined) throw new ConfigError(`${candidate} has no default export; write \`export default defineConfig({...})\``);
  }
  const withTopic = topicOverride ? { ...(raw as object), topic: topicOverride } : raw;
  return { config: validateConfig(withTopic, origin), origin };
}
