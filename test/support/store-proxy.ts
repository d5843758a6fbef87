/**
 * A pass-through HTTP proxy in front of the object store (MinIO), for fault tests that must stop a
 * process at an exact step of its writes: armed with a matcher, it holds the matching requests (never
 * forwards or answers them), so the writer waits there — e.g. with its data files written but its
 * Delta commit not — until the test kills it. Every other request, and everything once disarmed, is
 * forwarded byte for byte (headers included, so S3 signatures still verify).
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';

export interface StoreProxy {
  /** The endpoint to give Lamina (LAMINA_S3_ENDPOINT). */
  endpoint: string;
  /** Holds requests matching (method, path) from now on; resolves with the first one held. */
  holdNext(matches: (method: string, path: string) => boolean): Promise<{ method: string; path: string }>;
  /** Forwards again; held requests are dropped (their client is gone by then). */
  release(): void;
  close(): Promise<void>;
}

export async function startStoreProxy(target: string): Promise<StoreProxy> {
  const upstream = new URL(target);
  let matcher: ((method: string, path: string) => boolean) | undefined;
  let onHeld: ((held: { method: string; path: string }) => void) | undefined;
  const held: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    if (matcher?.(method, path)) {
      held.push(req);
      onHeld?.({ method, path });
      onHeld = undefined;
      return;
    }
    const forward = request({ host: upstream.hostname, port: upstream.port, method, path, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const release = (): void => {
    matcher = undefined;
    for (const req of held.splice(0)) req.socket.destroy();
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    holdNext(matches) {
      matcher = matches;
      return new Promise((resolve) => (onHeld = resolve));
    },
    release,
    async close() {
      release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
