/**
 * infra/monitoring (Prometheus scrape config and alert rules, the Grafana dashboard) checked against
 * the code: every metric they read is one a Lamina process registers, every alert has its runbook
 * entry, and every long-running service of docker-compose.yml is scraped. They cannot drift apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseYaml } from './support/yaml-file.js';

const root = process.cwd();

async function registeredMetrics(): Promise<Set<string>> {
  const names = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.ts')) for (const m of (await readFile(path, 'utf8')).matchAll(/'(lamina_[a-z_]+)'/g)) names.add(m[1]!);
    }
  };
  for (const layer of ['shared', 'batch-layer', 'speed-layer', 'serving-layer']) await walk(join(root, layer, 'src'));
  return names;
}

/** Metric names a PromQL expression reads (histogram series by their base name). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(lamina_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
}

test('the dashboard and the alert rules read only metrics Lamina registers; every alert has a runbook entry', async () => {
  const known = await registeredMetrics();
  assert.ok(known.has('lamina_ingest_events_accepted_total'), 'the scan finds registered metrics');
  const dashboard = JSON.parse(await readFile(join(root, 'infra/monitoring/grafana/dashboards/lamina.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  const rules = parse(await readFile(join(root, 'infra/monitoring/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  const runbook = await readFile(join(root, 'docs/runbook.md'), 'utf8');
  const unknown: string[] = [];
  for (const panel of dashboard.panels) for (const t of panel.targets) for (const m of metricsIn(t.expr)) if (!known.has(m)) unknown.push(`dashboard '${panel.title}': ${m}`);
  const alerts = rules.groups.flatMap((g) => g.rules);
  assert.ok(alerts.length >= 8);
  for (const rule of alerts) {
    for (const m of metricsIn(rule.expr)) if (!known.has(m)) unknown.push(`alert ${rule.alert}: ${m}`);
    assert.match(runbook, new RegExp(`^## ${rule.alert}$`, 'm'), `docs/runbook.md has no section for ${rule.alert}`);
  }
  assert.deepEqual(unknown, []);
});

test('Prometheus scrapes every long-running Lamina service of docker-compose.yml, on its port', async () => {
  const compose = parseYaml(await readFile(join(root, 'docker-compose.yml'), 'utf8')) as unknown as { services: Record<string, { command?: string[]; environment?: Record<string, string>; profiles?: string[] }> };
  const scrape = parse(await readFile(join(root, 'infra/monitoring/prometheus.yml'), 'utf8')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
  const targets = new Set(scrape.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)));
  const longRunning = Object.entries(compose.services).filter(([, s]) => s.command && ['archive', 'speed', 'serve', 'batch'].includes(s.command[0]!));
  assert.ok(longRunning.length >= 5);
  for (const [name, service] of longRunning) assert.ok(targets.has(`${name}:${service.environment?.PORT ?? '4000'}`), `${name} is not scraped`);
  for (const name of ['prometheus', 'grafana']) assert.deepEqual(compose.services[name]?.profiles, ['monitoring'], `${name} runs only with --profile monitoring`);
});
