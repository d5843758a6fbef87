import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, validateConfig } from '../src/index.js';

const base = {
  eventTypes: { page_view: { fields: { url: { type: 'string' }, ms: { type: 'number', optional: true } } } },
  views: { hits: { source: 'page_view', dimensions: ['url'], measures: { n: { kind: 'count' }, avgMs: { kind: 'avg', field: 'ms' } } } },
};

test('a valid config gets its defaults', () => {
  const config = validateConfig(base);
  assert.equal(config.topic, 'events');
  assert.equal(config.partitions, 4);
  assert.equal(config.views.hits!.granularity, 'minute');
  assert.equal(config.batch.schedule, '0 2 * * *');
  assert.equal(config.archiver.flushRecords, 5000);
  assert.deepEqual(config.serving.limits, { maxAliases: 15, maxViewFields: 10, maxDepth: 6, maxTokens: 2000, maxRows: 50_000, queryTimeoutMs: 10_000, maxBodyBytes: 1_000_000 });
});

test('serving limits: each can be set alone; a misspelt or senseless one is refused with its path', () => {
  const config = validateConfig({ ...base, serving: { limits: { maxRows: 500 } } });
  assert.equal(config.serving.limits.maxRows, 500);
  assert.equal(config.serving.limits.maxAliases, 15);
  const refuses = (serving: unknown, pattern: RegExp) => assert.throws(() => validateConfig({ ...base, serving }), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), String(pattern));
  refuses({ limits: { maxRow: 500 } }, /serving\.limits: Unrecognized key: "maxRow"/);
  refuses({ limits: { maxRows: 0 } }, /serving\.limits\.maxRows: Too small/);
  refuses({ limits: { queryTimeoutMs: 1.5 } }, /serving\.limits\.queryTimeoutMs/);
  refuses({ limit: {} }, /serving: Unrecognized key: "limit"/);
});

test('errors name the path and what to do', () => {
  assert.throws(() => validateConfig({ ...base, partitions: 0 }), (e: unknown) => e instanceof ConfigError && /partitions/.test(e.message));
  assert.throws(
    () => validateConfig({ ...base, views: { hits: { source: 'click', measures: { n: { kind: 'count' } } } } }),
    (e: unknown) => e instanceof ConfigError && /views\.hits\.source: event type 'click' is not declared/.test(e.message),
  );
  assert.throws(
    () => validateConfig({ ...base, views: { hits: { source: 'page_view', dimensions: ['nope'], measures: { s: { kind: 'sum', field: 'missing' } } } } }),
    (e: unknown) => e instanceof ConfigError && /dimensions\.0: field 'nope'/.test(e.message) && /measures\.s\.field: field 'missing'/.test(e.message),
  );
  assert.throws(
    () => validateConfig({ ...base, views: { hits: { source: 'page_view', measures: { q: { kind: 'quantile', field: 'ms', q: 1.5 } } } } }),
    (e: unknown) => e instanceof ConfigError && /measures\.q\.q/.test(e.message),
  );
  assert.throws(() => validateConfig({ ...base, views: { 'bad-name': base.views.hits } }), (e: unknown) => e instanceof ConfigError && /GraphQL name/.test(e.message));
  assert.throws(() => validateConfig({ ...base, views: { hits: { source: 'page_view', measures: {} } } }), /at least one measure/);
});

test('unknown keys, type mismatches, defaults and names are refused with the path and the fix', () => {
  const refuses = (config: unknown, pattern: RegExp) => assert.throws(() => validateConfig(config), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), String(pattern));
  const withField = (field: unknown) => ({ ...base, eventTypes: { page_view: { fields: { url: { type: 'string' }, ms: { type: 'number', optional: true }, extra: field } } } });
  refuses(withField({ type: 'string', optinal: true }), /eventTypes\.page_view\.fields\.extra: Unrecognized key: "optinal"/);
  refuses({ ...base, extra: 1 }, /\(root\): Unrecognized key: "extra"/);
  refuses({ ...base, views: { hits: { ...base.views.hits, measures: { total: { kind: 'sum', field: 'url' } } } } }, /measures\.total: sum cannot read 'url', a string field: it adds numbers; use a number or integer field/);
  refuses({ ...base, views: { hits: { ...base.views.hits, measures: { d: { kind: 'distinct', field: 'ms' } } } } }, /distinct cannot read 'ms', a number field/);
  refuses({ ...base, views: { hits: { ...base.views.hits, dimensions: ['ms'] } } }, /dimensions\.0: 'ms' is a number; dimensions must be string, integer, boolean fields/);
  refuses(withField({ type: 'string', default: 'x' }), /fields\.extra\.default: only an optional field can have a default/);
  refuses(withField({ type: 'integer', optional: true, default: 1.5 }), /fields\.extra\.default: must be a safe integer/);
  // A default the validator could not read would fill nothing: refused here, with the validator's rules.
  refuses(withField({ type: 'timestamp', optional: true, default: '1969-12-31T23:59:59Z' }), /fields\.extra\.default: must be an ISO-8601 date-time string with a zone, from 1970 on/);
  refuses(withField({ type: 'timestamp', optional: true, default: 'Nov 20 2026' }), /fields\.extra\.default: must be an ISO-8601/);
  refuses({ ...base, eventTypes: { page_view: { fields: { ...base.eventTypes.page_view.fields, geo: { type: 'string' }, 'geo.country': { type: 'string' } } } } }, /'geo' is declared as a string, so it cannot also hold nested fields/);
  refuses(withField({ type: 'string', optional: true }) && { ...base, eventTypes: { page_view: { fields: { ...base.eventTypes.page_view.fields, _secret: { type: 'string' } } } } }, /'_secret' must be letters, digits and _ only, starting with a letter/);
  refuses({ ...base, views: { hits: { ...base.views.hits, measures: { bucket_ms: { kind: 'count' } } } } }, /measure 'bucket_ms' clashes with a column of every view table/);
  refuses({ ...base, views: { hits: { ...base.views.hits, measures: { URL: { kind: 'count' } } } } }, /measure 'URL' clashes with dimension 'url'/);
  refuses({ ...base, views: { hits: { ...base.views.hits, filter: { field: 'ms', equals: 'fast' } } } }, /filter: "fast" must be a finite number \(field 'ms' is a number\)/);
});

test('nested field paths and defaults are accepted', () => {
  const config = validateConfig({
    ...base,
    eventTypes: { page_view: { fields: { ...base.eventTypes.page_view.fields, 'geo.country': { type: 'string', optional: true, default: 'unknown' }, at: { type: 'timestamp', optional: true } }, compatibility: 'full' } },
    views: { hits: { ...base.views.hits, dimensions: ['url', 'geo.country'] } },
  });
  assert.equal(config.eventTypes.page_view!.compatibility, 'full');
  assert.equal(config.eventTypes.page_view!.fields['geo.country']!.default, 'unknown');
});

test('names that would clash in GraphQL are refused, naming both sides', () => {
  const refuses = (config: unknown, pattern: RegExp) => assert.throws(() => validateConfig(config), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), String(pattern));
  const view = base.views.hits;
  refuses({ ...base, views: { freshness: view } }, /views\.freshness would be named 'freshness' in GraphQL, which clashes with the built-in field 'freshness'/);
  refuses({ ...base, views: { generations: view } }, /clashes with the built-in field 'generations'/);
  refuses({ ...base, views: { hits: view, hitsWithFreshness: view } }, /views\.hitsWithFreshness would be named 'hitsWithFreshness' in GraphQL, which clashes with views\.hits/);
  refuses({ ...base, views: { hits: view, Hits: view } }, /views\.Hits would be named 'Hits' in GraphQL, which clashes with views\.hits/);
  refuses({ ...base, views: { string: view } }, /views\.string would be named 'StringFilter' in GraphQL, which clashes with the built-in type 'StringFilter'/);
  refuses({ ...base, views: { hits: { ...view, measures: { bucket: { kind: 'count' } } } } }, /views\.hits\.measures\.bucket would be named 'bucket' in GraphQL, which clashes with the built-in row field 'bucket'/);
});

test('quality gates and field bounds name what they check; a gate that cannot work is refused with the fix', () => {
  const refuses = (config: unknown, pattern: RegExp) => assert.throws(() => validateConfig(config), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), String(pattern));
  const gates = (g: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ ...base, ...extra, batch: { quality: { gates: g } } });
  const ok = validateConfig(gates({ views: { check: 'volume', type: 'page_view', maxRatio: 3 }, ids: { check: 'uniqueness' }, drift: { check: 'distribution', type: 'page_view', field: 'ms', maxChange: 0.5, severity: 'warn' } }));
  assert.deepEqual(ok.batch.quality.gates.views, { check: 'volume', type: 'page_view', minRatio: 0, maxRatio: 3, recentRuns: 7, severity: 'error' });
  refuses(gates({ v: { check: 'volume', type: 'pageview' } }), /batch\.quality\.gates\.v\.type: event type 'pageview' is not declared/);
  refuses(gates({ v: { check: 'volume', minRatio: 2, maxRatio: 1 } }), /maxRatio \(1\) is below minRatio \(2\)/);
  refuses(gates({ d: { check: 'distribution', type: 'page_view', field: 'url', maxChange: 1 } }), /'url' is a string; a distribution compares means of a number or integer field/);
  refuses(gates({ u: { check: 'uniqueness' } }, { deduplication: { window: 'off' } }), /uniqueness counts the copies deduplication finds; set deduplication\.window/);
  refuses(gates({ r: { check: 'referential', type: 'page_view', field: 'url', references: { type: 'page_view', field: 'ms' } } }), /'page_view\.url' is a string but 'page_view\.ms' is a number/);
  refuses(gates({ f: { check: 'freshnes', maxAgeMinutes: 5 } }), /gates\.f\.check/);
  refuses({ ...base, eventTypes: { page_view: { fields: { url: { type: 'string', min: 0 } } } } }, /min and max bound number and integer fields; 'url' is a string/);
  refuses({ ...base, eventTypes: { page_view: { fields: { url: { type: 'string' }, ms: { type: 'number', min: 5, max: 1 } } } } }, /min \(5\) is above max \(1\)/);
});
