/**
 * JSON over HTTP/1.1 keep-alive to the speed instances, on node:http rather than fetch: a dashboard
 * query makes one such call per instance, and fetch's web streams, abort signals and per-call
 * DOMException cost more than the cached answer it fetches the version for (a fifth of the CPU
 * of a cached query, profiled).
 */
import { Agent, request } from 'node:http';

export interface JsonResponse<T> {
  status: number;
  body: T;
}

export class HttpJsonClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  get<T>(path: string): Promise<JsonResponse<T>> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<JsonResponse<T>> {
    return this.call<T>('POST', path, JSON.stringify(body));
  }

  close(): void {
    this.agent.destroy();
  }

  private call<T>(method: string, path: string, payload?: string): Promise<JsonResponse<T>> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
      const req = request(`${this.baseUrl}${path}`, { method, headers, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T });
          } catch (error) {
            reject(new Error(`${method} ${path}: HTTP ${res.statusCode} with a body that is not JSON (${(error as Error).message})`));
          }
        });
      });
      // `timeout` is socket inactivity: a stalled instance (SIGSTOP) then fails the call instead of hanging it.
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
