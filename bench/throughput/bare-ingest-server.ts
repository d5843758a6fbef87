/**
 * The HTTP ingest baseline: a bare Node server that does the least a durable ingest must — parse the
 * JSON body, append it to a file, fdatasync, answer — with nothing of Lamina (no validation, no log
 * format, no layers). Prints `{"port":…}` once listening.
 */
import { createServer } from 'node:http';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

const file = await open(join(process.argv[2]!, 'bare-ingest.log'), 'a');
let writing: Promise<void> = Promise.resolve();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const events = JSON.parse(body.toString()) as unknown[];
    // Appends in arrival order, each one synced before its answer (as Lamina's embedded log does).
    writing = writing.then(async () => {
      await file.write(body);
      await file.datasync();
    });
    void writing.then(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: events.length, rejected: [] }));
    });
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', () => server.close(() => void writing.then(() => file.close()).then(() => process.exit(0))));
