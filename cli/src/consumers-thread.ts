/**
 * Embedded mode's consumers on a thread of their own: the archiver and the speed layer fold and write
 * what ingest appends, and on the main thread they took a third of its time (CPU profile under full
 * ingest load), while the machine's second core sat idle. The embedded log stays on the main thread,
 * which appends to it; the consumers read it across a port (serveEventLog / PortEventLog).
 *
 * To the serving layer this is the speed layer as a RealtimeSource; to embedded mode it is also the
 * archiver's catch-up and the speed layer's new-generation call. A thread that ends unasked (an
 * uncaught error) is reported to onFailed: nothing would be archived or folded any more.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import {
  PortPeer,
  UnavailableError,
  compileViews,
  decodeRows,
  serveEventLog,
  type EventLog,
  type EventLogHost,
  type GenerationManifest,
  type RealtimePart,
  type RealtimeRequest,
  type RealtimeSource,
  type RealtimeStatus,
  type WireRow,
} from '@lamina/shared';
import type { Runtime } from './layers.js';
import type { ConsumersWorkerData } from './consumers-worker.js';

export interface ConsumersThreadOptions {
  runtime: Runtime;
  /** The embedded log, which this thread keeps and serves to the consumers thread. */
  log: EventLog;
  /** The thread ended without being stopped. */
  onFailed(error: unknown): void;
}

export class ConsumersThread implements RealtimeSource {
  readonly name = 'embedded';
  private stopping = false;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    private readonly control: PortPeer,
    private readonly host: EventLogHost,
    private readonly views: Map<string, ReturnType<typeof compileViews>[number]>,
  ) {}

  /** Starts the thread, then its archiver and speed layer; rejects with their error if either cannot start. */
  static async start({ runtime, log, onFailed }: ConsumersThreadOptions): Promise<ConsumersThread> {
    const { port1, port2 } = new MessageChannel();
    const workerData: ConsumersWorkerData = { config: runtime.config, options: runtime.options, logPort: port2 };
    const worker = new Worker(new URL('./consumers-worker.mjs', import.meta.url), { workerData, transferList: [port2] });
    const control = new PortPeer(worker, 'the consumers thread (archiver, speed layer)');
    const host = serveEventLog(log, port1, 'the consumers thread');
    const thread = new ConsumersThread(worker, control, host, new Map(compileViews(runtime.config).map((v) => [v.name, v])));
    const loaded = new Promise<void>((resolve) => control.handle('loaded', () => resolve()));
    let end: ((error: Error) => void) | undefined;
    const ended = new Promise<never>((_, reject) => {
      end = (error) => {
        end = undefined;
        reject(error);
        if (!thread.stopping) onFailed(error);
      };
    });
    // An uncaught error ends the thread too: 'error' comes first, with the better reason, then 'exit'.
    worker.once('error', (error) => end?.(error));
    worker.once('exit', (code) => {
      thread.exited = true;
      const reason = `it exited with code ${code}`;
      control.close(reason);
      host.lost(reason);
      port1.close();
      end?.(new UnavailableError(`the consumers thread (archiver, speed layer) ended: ${reason}`));
    });
    ended.catch(() => undefined);
    try {
      await Promise.race([loaded, ended]);
      await Promise.race([control.call('start'), ended]);
    } catch (error) {
      thread.stopping = true;
      await worker.terminate();
      throw error;
    }
    return thread;
  }

  catchUp(): Promise<void> {
    return this.control.call('archiver.catchUp');
  }

  addGeneration(manifest: GenerationManifest): Promise<void> {
    return this.control.call('speed.addGeneration', [manifest]);
  }

  status(): Promise<RealtimeStatus> {
    return this.control.call('speed.status');
  }

  async query(request: RealtimeRequest): Promise<RealtimePart> {
    const part = await this.control.call<Omit<RealtimePart, 'rows'> & { rows: WireRow[] }>('speed.query', [request]);
    return { ...part, rows: decodeRows(this.views.get(request.view)!, part.rows) };
  }

  /**
   * The thread's metrics (archiver, speed layer) in the Prometheus text format, for this process's
   * /metrics, without the families named in `leaveOut` (those the main thread's registry reports).
   */
  metrics(leaveOut: string[]): Promise<string> {
    return this.control.call('metrics', [leaveOut]);
  }

  /** Stops the speed layer and the archiver (its last flush included), then the thread. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    try {
      if (!this.exited) await this.control.call('stop');
    } finally {
      await this.host.close();
      await this.worker.terminate();
    }
  }
}
