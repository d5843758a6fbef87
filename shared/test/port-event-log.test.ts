import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { EmbeddedEventLog } from '../src/adapters/embedded-log/index.js';
import { PortEventLog, serveEventLog } from '../src/adapters/port-log/index.js';
import { NotFoundError, UnavailableError, ValidationError } from '../src/errors.js';
import { eventLogConformance } from './conformance/event-log-conformance.js';

/** An embedded log served on one end of a channel and used through the other, as a worker thread does. */
async function portLog(): Promise<{ log: PortEventLog; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-port-log-'));
  const embedded = await EmbeddedEventLog.open({ dir, onWarning: () => undefined, onConsumerError: () => undefined });
  const { port1, port2 } = new MessageChannel();
  const host = serveEventLog(embedded, port1, 'the test\'s client');
  const log = new PortEventLog(port2, 'the test\'s host');
  return {
    log,
    async cleanup() {
      await log.close();
      await host.close();
      port1.close();
      await embedded.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

eventLogConformance('across a MessagePort (serveEventLog → PortEventLog)', async () => {
  const { log, cleanup } = await portLog();
  return { log, topic: `conformance-${Math.random().toString(36).slice(2, 10)}`, cleanup };
});

test('errors cross the port as the same Lamina errors, retriable kept', async () => {
  const { log, cleanup } = await portLog();
  try {
    await assert.rejects(log.partitionCount('absent'), (error: unknown) => error instanceof NotFoundError && /does not exist in the embedded log/.test(error.message));
    await log.ensureTopic('t', 1);
    await assert.rejects(log.produce('t', [{ key: 5 as unknown as string, value: 'x' }]), ValidationError);
  } finally {
    await cleanup();
  }
});

test('a call whose other side is gone fails as retriable UnavailableError instead of waiting', async () => {
  const { port1, port2 } = new MessageChannel();
  const log = new PortEventLog(port2, 'the log\'s thread');
  const pending = log.clusterId();
  port1.close();
  await assert.rejects(pending, (error: unknown) => error instanceof UnavailableError && error.retriable && /the log's thread is gone \(its port closed\)/.test(error.message));
  await assert.rejects(log.endOffsets('t'), UnavailableError, 'and so does every later call');
});
