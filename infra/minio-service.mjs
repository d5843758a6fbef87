// Single-drive MinIO on 127.0.0.1 with fixed dev credentials; readiness through its health endpoint;
// the bucket is created through the S3 API like any client would.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { spawnDaemon, tailFile } from './processes.mjs';

export const MINIO_MARKER = 'minio server';

/** Starts MinIO on the data dir in serviceDir (kept from an earlier run: a restart keeps the lake). Returns its pid. */
export function startMinio({ binary, serviceDir, port, credentials }) {
  const dataDir = join(serviceDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(serviceDir, 'minio.log');
  // Not --quiet: it also silences "Exiting on signal", and a MinIO that ends while starting then leaves an empty log.
  const pid = spawnDaemon(binary, ['server', dataDir, '--address', `127.0.0.1:${port}`], {
    cwd: serviceDir,
    env: {
      ...process.env,
      MINIO_ROOT_USER: credentials.accessKeyId,
      MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
      MINIO_BROWSER: 'off', // no web console: one port, nothing listening that nobody uses
      MINIO_UPDATE: 'off',
    },
    logFile,
  });
  return { pid, logFile };
}

export async function minioIsReady(endpoint) {
  const res = await fetch(`${endpoint}/minio/health/ready`, { signal: AbortSignal.timeout(2000) });
  return res.status === 200;
}

export function s3Client({ endpoint, region, credentials }) {
  return new S3Client({ endpoint, region, credentials, forcePathStyle: true });
}

/** Creates the bucket unless it exists already (idempotent). */
export async function ensureBucket(client, bucket) {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = /** @type {{name?:string}} */ (err).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
}

export function minioLogTail(serviceDir) {
  return tailFile(join(serviceDir, 'minio.log'), 30);
}
