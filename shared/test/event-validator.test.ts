import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventValidator, encodeEvent, parseTimestamp, shapeProblem, validateConfig } from '../src/index.js';

const config = validateConfig({
  eventTypes: {
    page_view: { fields: { url: { type: 'string' }, n: { type: 'integer' }, ok: { type: 'boolean', optional: true } }, keyField: 'url' },
  },
  views: { v: { source: 'page_view', measures: { c: { kind: 'count' } } } },
});
const validator = new EventValidator(config);
const good = { id: 'e1', type: 'page_view', ts: '2026-11-20T10:00:00+01:00', data: { url: '/a', n: 3, extra: 'kept' } };

test('accepts a valid event, normalises ts to epoch ms, keeps unknown fields', () => {
  const result = validator.validate(good);
  assert.ok(result.ok);
  assert.equal(result.event.ts, Date.UTC(2026, 10, 20, 9));
  assert.equal(result.event.data.extra, 'kept');
  assert.equal(validator.keyOf(result.event), '/a');
  const roundTrip = validator.validateMessage(new TextEncoder().encode(encodeEvent(result.event)));
  assert.ok(roundTrip.ok);
  assert.deepEqual(roundTrip.event, result.event);
});

test('rejects with a reason that names the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...good, ts: 'yesterday' }, /ts: must be an ISO-8601/],
    [{ ...good, type: 'click' }, /unknown event type 'click'/],
    [{ ...good, data: { url: '/a', n: 1.5 } }, /data\.n/],
    [{ ...good, data: { n: 1 } }, /data\.url/],
    [{ ...good, id: '' }, /id/],
    ['a string', /event/],
  ];
  for (const [input, reason] of cases) {
    const result = validator.validate(input);
    assert.equal(result.ok, false, JSON.stringify(input));
    if (!result.ok) assert.match(result.reason, reason);
  }
  const notJson = validator.validateMessage(new TextEncoder().encode('{oops'));
  assert.ok(!notJson.ok && /not JSON/.test(notJson.reason));
});

test('the key falls back to the id when the key field is absent', () => {
  const loose = new EventValidator(validateConfig({ eventTypes: { t: { fields: {} } }, views: { v: { source: 't', measures: { c: { kind: 'count' } } } } }));
  const result = loose.validate({ id: 'x9', type: 't', ts: 0, data: {} });
  assert.ok(result.ok);
  assert.equal(loose.keyOf(result.event), 'x9');
  assert.equal(loose.keyOf({ ...result.event, key: 'explicit' }), 'explicit');
});

/** One event type with a declared field of each kind the engines normalise. */
const typedConfig = validateConfig({
  eventTypes: {
    t: {
      fields: {
        'geo.country': { type: 'string', optional: true, default: 'unknown' },
        at: { type: 'timestamp', optional: true },
        x: { type: 'number', optional: true },
        n: { type: 'integer', optional: true },
        s: { type: 'string', optional: true },
      },
    },
  },
  views: { v: { source: 't', measures: { c: { kind: 'count' } } } },
});

test('normalises what engines must see alike: defaults, nested paths, timestamps, -0; refuses what they cannot', () => {
  const typed = new EventValidator(typedConfig);
  const ev = (data: Record<string, unknown>) => ({ id: 'e', type: 't', ts: 0, data });
  const ok = typed.validate(ev({ geo: { city: 'Paris' }, at: '2026-11-20T10:00:00Z', x: -0, n: -0 }));
  assert.ok(ok.ok);
  assert.deepEqual(ok.event.data, { geo: { city: 'Paris', country: 'unknown' }, at: Date.UTC(2026, 10, 20, 10), x: 0, n: 0 });
  assert.ok(Object.is(ok.event.data.x, 0));
  const input = ev({});
  assert.ok(typed.validate(input).ok);
  assert.deepEqual(input.data, {}, 'the caller\'s object is not modified');
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ s: 'a\ud800b' }, /data\.s: contains a lone UTF-16 surrogate/],
    [{ n: 2 ** 53 + 2 }, /data\.n: .* beyond ±2\^53/],
    [{ at: 'tomorrow' }, /data\.at: must be an ISO-8601/],
    [{ at: '1969-12-31T23:59:59Z' }, /data\.at: .* from 1970 on/],
    [{ at: -1 }, /data\.at: .* from 1970 on/],
    [{ x: '1' }, /data\.x: expected a finite number, got a string/],
  ];
  for (const [data, reason] of bad) {
    const result = typed.validate(ev(data));
    assert.ok(!result.ok && reason.test(result.reason), `${JSON.stringify(data)}: ${result.ok ? 'accepted' : result.reason}`);
  }
  const lone = typed.validate({ id: 'a\udc00', type: 't', ts: 0, data: {} });
  assert.ok(!lone.ok && /id: must be/.test(lone.reason));
});

test('a timestamp string means what Date.parse says, on the canonical form and near it', () => {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
  const reference = (s: string) => (iso.test(s) && Date.parse(s) >= 0 ? Date.parse(s) : undefined);
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  // Fields past their ranges (month 13, Feb 30, hour 24, second 60, year 0099) and a few non-digits.
  const field = (max: number, width: number) => fc.oneof(fc.integer({ min: 0, max }).map((n) => pad(n, width)), fc.constantFrom('x'.repeat(width), ' '.repeat(width), '-'.repeat(width)));
  const stamp = fc.tuple(field(9999, 4), field(13, 2), field(32, 2), field(25, 2), field(60, 2), field(61, 2), field(999, 3), fc.constantFrom('Z', 'z', '+01:00'), fc.constantFrom('T', 't', ' '))
    .map(([y, mo, d, h, mi, s, ms, zone, t]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}.${ms}${zone}`);
  fc.assert(fc.property(stamp, (s) => parseTimestamp(s) === reference(s)), { numRuns: 20_000 });
  for (const s of ['2024-02-29T23:59:59.999Z', '2100-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z', '2026-02-30T00:00:00.000Z', '2026-12-31T24:00:00.000Z', '0999-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z']) {
    assert.equal(parseTimestamp(s), reference(s), s);
  }
  assert.equal(parseTimestamp('2026-11-20T10:00:00.000Z'), Date.UTC(2026, 10, 20, 10));
});

test('shapeProblem refuses an event exactly when it breaks a limit, and names the limit', () => {
  // The limits, measured over the whole value by plain recursion (fast-check's values are shallow).
  const measure = (value: unknown, depth: number, m: { longest: number; deepest: number; values: number }): void => {
    if (typeof value === 'string') m.longest = Math.max(m.longest, value.length);
    if (value === null || typeof value !== 'object') return;
    m.deepest = Math.max(m.deepest, depth);
    const keys = Object.keys(value);
    m.values += keys.length;
    for (const k of keys) {
      m.longest = Math.max(m.longest, k.length);
      measure((value as Record<string, unknown>)[k], depth + 1, m);
    }
  };
  const limits = fc.record({ maxDepth: fc.integer({ min: 1, max: 5 }), maxStringLength: fc.integer({ min: 0, max: 8 }), maxValues: fc.integer({ min: 0, max: 30 }) });
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), limits, (event, l) => {
      const m = { longest: 0, deepest: -1, values: 0 };
      measure(event, 0, m);
      const breaks = m.longest > l.maxStringLength || m.deepest >= l.maxDepth || m.values > l.maxValues;
      const problem = shapeProblem(event, l);
      return breaks ? problem !== undefined && /\(ingest\.(maxStringLength|maxDepth|maxValues)\)$/.test(problem) : problem === undefined;
    }),
    { numRuns: 5_000 },
  );
  // An index key can break the string limit: the 11th element's is "10".
  assert.match(shapeProblem(Array.from({ length: 12 }, () => 0), { maxDepth: 3, maxStringLength: 1, maxValues: 100 })!, /a key of 2 characters/);
});

test('an accepted event\'s canonical message parses back to that event', () => {
  const v = new EventValidator(typedConfig);
  // Instants on both sides of 1970, as numbers and as ISO strings in two zones' spellings.
  const ms = fc.integer({ min: -4e12, max: 4e12 });
  const instant = fc.oneof(ms, ms.map((t) => new Date(t).toISOString()), ms.map((t) => new Date(t).toISOString().replace('Z', '+00:00')));
  const raw = fc.record({
    id: fc.string({ minLength: 1, maxLength: 8 }),
    type: fc.constant('t'),
    ts: instant,
    key: fc.option(fc.string({ minLength: 1, maxLength: 4 }), { nil: undefined }),
    data: fc.record({
      geo: fc.option(fc.record({ country: fc.option(fc.string(), { nil: undefined }), city: fc.string() }, { requiredKeys: [] }), { nil: undefined }),
      at: fc.option(instant, { nil: undefined }),
      x: fc.option(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }), fc.constant(-0)), { nil: undefined }),
      n: fc.option(fc.integer(), { nil: undefined }),
      extra: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
    }, { requiredKeys: [] }),
  }, { requiredKeys: ['id', 'type', 'ts', 'data'] });
  // Inputs as ingest gets them: parsed JSON (no undefined), where "-0" parses to -0.
  fc.assert(fc.property(raw, fc.boolean(), fc.boolean(), fc.boolean(), (generated, negativeX, negativeAt, negativeExtra) => {
    const input = JSON.parse(JSON.stringify(generated)) as { ts: unknown; data: Record<string, unknown> };
    if (negativeX) input.data.x = -0;
    if (negativeAt) [input.ts, input.data.at] = [-0, -0];
    if (negativeExtra) input.data.neg = -0;
    const accepted = v.validate(input);
    fc.pre(accepted.ok);
    if (!accepted.ok) return;
    const value = Buffer.from(encodeEvent(accepted.event));
    const parsed = v.validateMessage(value);
    assert.ok(parsed.ok);
    // Equal as every consumer reads it: declared fields are normalised alike, the rest is written as
    // JSON, where an undeclared -0 (kept as sent) and the 0 it parses back to are the same.
    assert.equal(encodeEvent(accepted.event), encodeEvent(parsed.event));
    const seen = structuredClone(accepted.event);
    if (negativeExtra) {
      assert.ok(Object.is(seen.data.neg, -0) && Object.is(parsed.event.data.neg, 0));
      seen.data.neg = 0;
    }
    assert.deepStrictEqual(seen, parsed.event);
  }), { numRuns: 2_000 });
});
