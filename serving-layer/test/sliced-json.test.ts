/** useSlicedJson, in-process through yoga.fetch: a long answer's bytes are what yoga's own encoder gives. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSchema, createYoga } from 'graphql-yoga';
import { useSlicedJson } from '../src/graphql/use-sliced-json.js';

const rows = Array.from({ length: 5_003 }, (_, i) => ({
  url: i % 7 === 0 ? null : `/p/${i}?q="x"\\\u2028${'é'.repeat(i % 3)}`,
  views: i % 11 === 0 ? null : i * 1.5,
  tags: i % 5 === 0 ? [] : [`t${i % 4}`, null],
}));
const schema = createSchema({
  typeDefs: 'type Row { url: String views: Float tags: [String] } type Page { rows: [Row!]! total: Int } type Query { rows: [Row!]! page: Page! few: [Row!]! broken: [Row!] }',
  resolvers: {
    Query: {
      rows: () => rows,
      page: () => ({ rows, total: rows.length }),
      few: () => rows.slice(0, 3),
      broken: () => {
        throw new Error('no rows today');
      },
    },
  },
});

async function answer(plugins: ReturnType<typeof useSlicedJson>[], query: string): Promise<{ text: string; status: number; type: string | null }> {
  const yoga = createYoga({ schema, plugins, logging: false });
  const response = await yoga.fetch('http://lamina.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body: JSON.stringify({ query }) });
  return { text: await response.text(), status: response.status, type: response.headers.get('content-type') };
}

test('long answers are encoded in slices, byte for byte as one JSON.stringify; short and failed ones as before', async () => {
  for (const query of ['{ rows { url views tags } }', '{ page { total rows { url views tags } } few { url } }', '{ few { url views } }', '{ rows { url } broken { url } }']) {
    const plain = await answer([], query);
    const sliced = await answer([useSlicedJson({ minRows: 1_000, rowsPerSlice: 97 })], query);
    assert.equal(sliced.status, plain.status, query);
    assert.equal(sliced.type, plain.type, query);
    assert.equal(sliced.text, plain.text, query);
  }
  const { text } = await answer([useSlicedJson({ minRows: 1_000, rowsPerSlice: 97 })], '{ page { rows { url views tags } } }');
  assert.equal((JSON.parse(text) as { data: { page: { rows: unknown[] } } }).data.page.rows.length, rows.length);
});
