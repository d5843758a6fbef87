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
