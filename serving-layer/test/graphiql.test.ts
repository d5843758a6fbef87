/** GraphiQL at GET /graphql comes from local assets: nothing in the page names another host. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';

let lamina: InProcessLamina;
before(async () => {
  lamina = await InProcessLamina.start(testConfig());
});
after(() => lamina.stop());

const external = /^(?:[a-z][a-z0-9+.-]*:)?\/\//i;

test('GraphiQL is served with its scripts, styles and icon inline: the page references no external host', async () => {
  const response = await lamina.serving.yoga.fetch('http://lamina.test/graphql', { headers: { accept: 'text/html' } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/html/);
  const html = await response.text();
  assert.match(html, /renderYogaGraphiQL/, 'the GraphiQL app itself is in the page');
  // Markup only: the inline bundle's own string constants (license URLs, XML namespaces) load nothing.
  const markup = html.replace(/(<script\b[^>]*>)[\s\S]*?(<\/script>)/gi, '$1$2').replace(/(<style\b[^>]*>)([\s\S]*?)(<\/style>)/gi, '$1$3');
  const references = [...markup.matchAll(/\b(?:src|href|action)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!);
  assert.ok(references.length > 0, 'the favicon link is found');
  assert.deepEqual(references.filter((r) => external.test(r)), [], 'no src/href to another host');
  assert.doesNotMatch(markup, /<script\b[^>]*\bsrc=/i, 'no external script tags');
  const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map((m) => m[1]!).join('\n');
  assert.deepEqual([...styles.matchAll(/(?:@import\s+(?:url\()?|url\()\s*["']?([^"')\s]+)/gi)].map((m) => m[1]!).filter((u) => external.test(u)), [], 'no stylesheet import or url() to another host');
});
