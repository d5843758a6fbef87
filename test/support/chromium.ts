/**
 * Headless Chromium for the browser tests: Debian's `chromium` (infra/install-apt.sh installs it),
 * driven by playwright-core. The flags keep it from reaching out to the network, which this machine
 * does not have (it would otherwise stall on refused background connections). A missing browser fails
 * CI; on a developer machine the caller skips with `test(name, { skip: CHROMIUM_SKIP_REASON }, ...)`.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const CHROMIUM_SKIP_REASON = `no Chromium at ${CHROMIUM_PATH}; install it with infra/install-apt.sh (apt-get install chromium)`;

/** Whether the browser tests can run; throws in CI when they cannot. */
export function requireChromium(env: NodeJS.ProcessEnv = process.env): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (env.CI === 'true') throw new Error(`${CHROMIUM_SKIP_REASON}. In CI the browser tests must run, not be skipped.`);
  process.stderr.write(`\n!!! SKIPPING BROWSER TESTS: ${CHROMIUM_SKIP_REASON}\n\n`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS });
}
