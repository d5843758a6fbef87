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
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import {
  PortPeer,
  UnavailableError,
  compileViews,
  decodeRows,
  serveEventLog,
  withDeadline,
  type CompiledView,
  type EncodedRealtimePart,
  type EventLog,
  type EventLogHost,
  type GenerationManifest,
  type RealtimePart,
  type RealtimeRequest,
  type RealtimeSource,
  type RealtimeStatus,
} from '@lamina/shared';
import type { Runtime } from './layers.js';
import type { ConsumersWorkerData } from './consumers-worker.js';

/** How long a stopped thread may take to end by itself before it is terminated. */
const EXIT_WAIT_MS = 2_000;

export interface ConsumersThreadOptions {
  runtime: Runtime;
  /** The embedded log, which this thread keeps and serves to the consumers thread. */
  log: EventLog;
  /** The thread ended without being stopped, after it had started. */
  onFailed(error: unknown): void;
}

export class ConsumersThread implements RealtimeSource {
  readonly name = 'embedded';
  private readonly control: PortPeer;
  private readonly host: EventLogHost;
  private readonly views: Map<string, CompiledView>;
  /** Rejects when the thread has ended, with why. */
  private readonly exited: Promise<never>;
  private gone = false;
  private running = false;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    logPort: MessagePort,
    { runtime, log, onFailed }: ConsumersThreadOptions,
  ) {
    this.control = new PortPeer(worker, 'the consumers thread (archiver, speed layer)');
    this.host = serveEventLog(log, logPort, 'the consumers thread');
    this.views = new Map(compileViews(runtime.config).map((v) => [v.name, v]));
    let uncaught: Error | undefined;
    worker.once('error', (error) => (uncaught = error));
    this.exited = new Promise<never>((_, reject) => {
      worker.once('exit', (code) => {
        this.gone = true;
        const reason = uncaught ? `an uncaught error: ${uncaught.message}` : `it exited with code ${code}`;
        this.control.close(reason);
        // Its consumers on this side stop too: their handlers now fail at once instead of waiting.
        this.host.lost(reason);
        void this.host.close();
        logPort.close();
        const error = uncaught ?? new UnavailableError(`the consumers thread (archiver, speed layer) ended: ${reason}`);
        reject(error);
        if (this.running && !this.stopping) onFailed(error);
      });
    });
    this.exited.catch(() => undefined);
  }

  /** Starts the thread, then its archiver and speed layer; rejects with their error if either cannot start. */
  static async start(options: ConsumersThreadOptions): Promise<ConsumersThread> {
    const { port1, port2 } = new MessageChannel();
    const workerData: ConsumersWorkerData = { config: options.runtime.config, options: options.runtime.options, logPort: port2 };
    const worker = new Worker(new URL('./consumers-worker.mjs', import.meta.url), { workerData, transferList: [port2] });
    const thread = new ConsumersThread(worker, port1, options);
    const loaded = new Promise<void>((resolve) => thread.control.handle('loaded', () => resolve()));
    try {
      await Promise.race([loaded, thread.exited]);
      // A thread that ends closes the control port first, which fails this call with its reason.
      await thread.control.call('start');
    } catch (error) {
      await thread.stop().catch(() => undefined);
      throw error;
    }
    thread.running = true;
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
    const part = await this.control.call<EncodedRealtimePart>('speed.query', [request]);
    return { ...part, rows: decodeRows(this.views.get(request.view)!, part.rows) };
  }

  /**
   * The thread's metrics (archiver, speed layer) in the Prometheus text format, for this process's
   * /metrics, without the families named in `leaveOut` (those the main thread's registry reports).
   */
  metrics(leaveOut: string[]): Promise<string> {
    return this.control.call('metrics', [leaveOut]);
  }

  /** Stops the speed layer and the archiver (its last flush included), then the thread. Once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        if (!this.gone) await this.control.call('stop');
      } finally {
        await this.host.close();
        if (!this.gone) await withDeadline(this.exited, EXIT_WAIT_MS, () => new UnavailableError('the consumers thread did not end in time')).catch(() => undefined);
        await this.worker.terminate();
      }
    })();
    return this.stopping;
  }
}
