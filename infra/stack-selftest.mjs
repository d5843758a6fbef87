// End-to-end check of a running stack with real clients: a transactional produce + read_committed
// consume through kafkajs, the same record read back with kcat (when installed), and on MinIO a
// put/get round trip plus the create-only put (If-None-Match: *) that Lamina's object store relies on.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import kafkajs from 'kafkajs';
import { s3Client } from './minio-service.mjs';

const execFileAsync = promisify(execFile);

function check(condition, message) {
  if (!condition) throw new Error(`self-test failed: ${message}`);
}

async function kafkaRoundTrip(env, log) {
  const topic = `lamina-selftest-${Date.now()}`;
  const kafka = new kafkajs.Kafka({ clientId: 'lamina-selftest', brokers: env.LAMINA_KAFKA_BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const value = `hello ${new Date().toISOString()}`;
    const tx = await producer.transaction();
    await tx.send({ topic, messages: [{ key: 'k', value }] });
    await tx.commit();
    await producer.disconnect();
    log(`  kafka: transactional produce to ${topic} committed`);

    const consumer = kafka.consumer({ groupId: `${topic}-group`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise((resolveMsg, rejectMsg) => {
      const timer = setTimeout(() => rejectMsg(new Error('no message consumed within 30 s')), 30_000);
      consumer.run({ eachMessage: async ({ message }) => { clearTimeout(timer); resolveMsg(message.value?.toString()); } })
        .catch(rejectMsg);
    });
    await consumer.disconnect();
    check(received === value, `consumed ${JSON.stringify(received)}, expected ${JSON.stringify(value)}`);
    log('  kafka: read_committed consumer got the record back');

    const kcat = await kcatPath();
    if (kcat) {
      const meta = await execFileAsync(kcat, ['-b', env.LAMINA_KAFKA_BROKERS, '-L', '-t', topic], { timeout: 20_000 });
      check(meta.stdout.includes('1 brokers') && meta.stdout.includes(`topic "${topic}"`), `kcat -L output:\n${meta.stdout}`);
      const out = await execFileAsync(kcat, ['-b', env.LAMINA_KAFKA_BROKERS, '-C', '-t', topic, '-o', 'beginning', '-c', '1', '-e', '-q'], { timeout: 20_000 });
      check(out.stdout.trim() === value, `kcat consumed ${JSON.stringify(out.stdout)}`);
      log('  kafka: kcat -L sees the broker and kcat -C reads the record');
    } else {
      log('  kafka: kcat not installed (bash infra/install-apt.sh), kcat checks skipped');
    }
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}

async function kcatPath() {
  try {
    const { stdout } = await execFileAsync('sh', ['-c', 'command -v kcat']);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

async function s3RoundTrip(env, log) {
  const s3 = s3Client({
    endpoint: env.LAMINA_S3_ENDPOINT,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  });
  const Bucket = env.LAMINA_S3_BUCKET;
  const Key = `selftest/${Date.now()}.txt`;
  try {
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'first', IfNoneMatch: '*' }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    const body = await got.Body?.transformToString();
    check(body === 'first', `GetObject returned ${JSON.stringify(body)}`);
    log('  s3: put/get round trip ok');

    let status;
    try {
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'second', IfNoneMatch: '*' }));
    } catch (err) {
      status = /** @type {{$metadata?: {httpStatusCode?: number}}} */ (err).$metadata?.httpStatusCode;
    }
    check(status === 412, `second create-only put answered ${status ?? '200 (overwrote!)'}, expected 412`);
    const after = await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body?.transformToString();
    check(after === 'first', `object changed to ${JSON.stringify(after)} despite the 412`);
    log('  s3: create-only put (If-None-Match: *) answers 412 on the second write, object unchanged');
  } finally {
    await s3.send(new DeleteObjectCommand({ Bucket, Key })).catch(() => {});
    s3.destroy();
  }
}

/** Throws on the first failed check. */
export async function selfTest(env, log = console.log) {
  await kafkaRoundTrip(env, log);
  await s3RoundTrip(env, log);
}
