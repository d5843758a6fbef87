/**
 * Readiness: is this process's log and store reachable right now? Each dependency is probed with a
 * real, cheap round trip on an interval and under a deadline, so a stalled broker or object store
 * turns the process not-ready within seconds (and says why, in the log and on GET /readyz), and
 * ready again once it answers. A probe still running is never started twice: a dependency that
 * hangs stays not-ready, instead of collecting one pending call per interval.
 */
import type { Logger } from 'pino';
import { withDeadline } from '../deadline.js';
import { UnavailableError } from '../errors.js';
import { gauge, type Registry } from './metrics.js';

export interface DependencyCheck {
  /** What the operator reads in logs and /readyz: 'log', 'store'. */
  name: string;
  /** One real round trip; resolves when the dependency answered. */
  check(): Promise<unknown>;
}

export interface ReadinessOptions {
  checks: DependencyCheck[];
  logger: Logger;
  registry: Registry;
  /** How often each dependency is probed; default 2000 ms. */
  intervalMs?: number;
  /** A probe without an answer this long counts as a failure; default 3000 ms. */
  timeoutMs?: number;
}

export interface DependencyStatus {
  ok: boolean;
  /** Since when the dependency has been in this state (ISO time). */
  since: string;
  /** Why it is not ready. */
  reason?: string;
}

export interface ReadinessReport {
  ready: boolean;
  dependencies: Record<string, DependencyStatus>;
}

interface Probe {
  check: DependencyCheck;
  /** undefined until the first probe answered or failed. */
  ok: boolean | undefined;
  since: number;
  reason: string | undefined;
  inFlight: Promise<unknown> | undefined;
}

export class Readiness {
  private readonly probes: Probe[];
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly up;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ReadinessOptions) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.probes = options.checks.map((check) => ({ check, ok: undefined, since: Date.now(), reason: 'not probed yet', inFlight: undefined }));
    this.up = gauge(options.registry, 'lamina_dependency_up', '1 while the dependency answers its readiness probe, else 0', ['dependency']);
  }

  /** Probes once now (resolves when that round is done), then every interval until stop(). */
  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => void this.probeAll(), this.intervalMs);
    this.timer.unref();
    await this.probeAll();
  }

  /** No more probes; one still running is ignored (the log or store may be closing: not a failure). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  report(): ReadinessReport {
    const dependencies: Record<string, DependencyStatus> = {};
    for (const p of this.probes) {
      dependencies[p.check.name] = { ok: p.ok === true, since: new Date(p.since).toISOString(), ...(p.ok === true ? {} : { reason: p.reason ?? 'unknown' }) };
    }
    return { ready: this.probes.every((p) => p.ok === true), dependencies };
  }

  private probeAll(): Promise<void> {
    // A round still waiting on its deadlines is not overlapped by the next tick.
    this.round ??= Promise.all(this.probes.map((p) => this.probe(p))).then(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async probe(p: Probe): Promise<void> {
    p.inFlight ??= p.check.check().finally(() => {
      p.inFlight = undefined;
    });
    try {
      await withDeadline(p.inFlight, this.timeoutMs, () => new UnavailableError(`no answer within ${this.timeoutMs} ms`));
      this.mark(p, true, undefined);
    } catch (error) {
      this.mark(p, false, (error as Error).message ?? String(error));
    }
  }

  private mark(p: Probe, ok: boolean, reason: string | undefined): void {
    if (this.stopped) return;
    const name = p.check.name;
    this.up.set({ dependency: name }, ok ? 1 : 0);
    const was = p.ok;
    if (was === ok) {
      if (!ok) p.reason = reason;
      return;
    }
    const now = Date.now();
    const downFor = now - p.since;
    p.ok = ok;
    p.since = now;
    p.reason = reason;
    if (ok && was === false) this.options.logger.info({ dependency: name, unreachableMs: downFor }, `${name} reachable again after ${(downFor / 1000).toFixed(1)} s: ready`);
    if (!ok) this.options.logger.warn({ dependency: name, reason }, `${name} unreachable: ${reason}; /readyz answers 503 until it returns`);
  }
}
