/**
 * Full-speed HTTP ingest load: autocannon posting batches of events with fresh ids per request,
 * counting events acknowledged per second (a non-2xx answer or one with rejected events is a failure).
 */
import autocannon from 'autocannon';
import { bodyTemplate } from './event-bodies.js';

export interface IngestLoad {
  eventsPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  failed: number;
  seconds: number;
}

export async function postAtFullSpeed(url: string, options: { connections: number; seconds?: number; requests?: number; eventsPerRequest: number; run: string; headers?: Record<string, string> }): Promise<IngestLoad> {
  const template = bodyTemplate(options.eventsPerRequest);
  let sent = 0;
  const started = performance.now();
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    connections: options.connections,
    // With `amount`, autocannon ends at its next sample tick after the last answer: at its default
    // 1 s interval that counted up to a second of idle (a 2.7 s run measured as 3 or 4 s).
    ...(options.requests !== undefined ? { amount: options.requests, sampleInt: 20 } : { duration: options.seconds ?? 10 }),
    timeout: 60,
    requests: [{ setupRequest: (req) => ({ ...req, body: template.replaceAll('@@@@', `${options.run}-${sent++}`) }) }],
    verifyBody: (text) => String(text).includes('"rejected":[]'),
  });
  const seconds = (performance.now() - started) / 1000;
  const ok = result['2xx'] - result.mismatches;
  return {
    eventsPerSec: (ok * options.eventsPerRequest) / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: ok,
    failed: result.errors + result.timeouts + result.non2xx + result.mismatches,
    seconds,
  };
}
