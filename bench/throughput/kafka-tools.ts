/**
 * Kafka's own performance tools (org.apache.kafka.tools, the kafka-tools jar the stack's provisioning
 * puts beside the broker's): the baselines for producing to and consuming from the local broker.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { kafkaLibDir } from '../../infra/provision.mjs';
import { stackConfigFromEnv } from '../../infra/stack-config.mjs';

async function runTool(mainClass: string, args: string[]): Promise<string> {
  const classpath = join(kafkaLibDir(stackConfigFromEnv().cacheDir), '*');
  const child = spawn('java', ['-Xmx512m', '-cp', classpath, mainClass, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${mainClass} exited with ${code}:\n${err.slice(-2000)}\n${out.slice(-2000)}`);
  return out;
}

/** ProducerPerformance: `records` of `recordBytes` each at full speed, acks=all, idempotent (what Lamina's producer uses). */
export async function producerPerformance(brokers: string, topic: string, records: number, recordBytes: number): Promise<{ eventsPerSec: number; p99: number }> {
  const out = await runTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', topic, '--num-records', String(records), '--record-size', String(recordBytes), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${brokers}`, 'acks=all', 'enable.idempotence=true',
  ]);
  // "200000 records sent, 123456.7 records/sec (23.55 MB/sec), 12.30 ms avg latency, 345.00 ms max latency, 10 ms 50th, 20 ms 95th, 30 ms 99th, 40 ms 99.9th."
  const m = /(\d+) records sent, ([\d.]+) records\/sec .* (\d+) ms 99th/.exec(out.trim().split('\n').at(-1) ?? '');
  if (!m || Number(m[1]) !== records) throw new Error(`ProducerPerformance: unexpected summary:\n${out.slice(-1000)}`);
  return { eventsPerSec: Number(m[2]), p99: Number(m[3]) };
}

/** ConsumerPerformance: reads `records` messages of `topic` from the start, in a new group; messages per second (group join included). */
export async function consumerPerformance(brokers: string, topic: string, records: number): Promise<{ eventsPerSec: number }> {
  const out = await runTool('org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server', brokers, '--topic', topic, '--messages', String(records), '--timeout', '60000', '--group', `lamina-bench-${Date.now().toString(36)}`,
  ]);
  const lines = out.trim().split('\n');
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  if (header < 0) throw new Error(`ConsumerPerformance: no summary:\n${out.slice(-1000)}`);
  const names = lines[header]!.split(',').map((s) => s.trim());
  const values = lines[header + 1]!.split(',').map((s) => s.trim());
  const field = (name: string) => Number(values[names.indexOf(name)]);
  if (field('data.consumed.in.nMsg') < records) throw new Error(`ConsumerPerformance read ${field('data.consumed.in.nMsg')} of ${records} messages`);
  return { eventsPerSec: field('nMsg.sec') };
}
