import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventValidator, encodeEvent, validateConfig } from '../src/index.js';

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

test('normalises what engines must see alike: defaults, nested paths, timestamps, -0; refuses what they cannot', () => {
  const typed = new EventValidator(validateConfig({
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
  }));
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
    [{ x: '1' }, /data\.x: expected a finite number, got a string/],
  ];
  for (const [data, reason] of bad) {
    const result = typed.validate(ev(data));
    assert.ok(!result.ok && reason.test(result.reason), `${JSON.stringify(data)}: ${result.ok ? 'accepted' : result.reason}`);
  }
  const lone = typed.validate({ id: 'a\udc00', type: 't', ts: 0, data: {} });
  assert.ok(!lone.ok && /id: must be/.test(lone.reason));
});
