/**
 * A Spark session in a Python child process (spark_driver.py, PySpark), spoken to in JSON lines:
 * requests on its stdin, answers on file descriptor 3 (Spark and Ivy own stdout and stderr, whose
 * last lines are kept for error messages). One session per batch run: starting one costs seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ConfigError, LaminaError, UnavailableError, type Logger } from '@lamina/shared';

const DRIVER = fileURLToPath(new URL('./spark_driver.py', import.meta.url));
const KEPT_LINES = 40;

export interface SparkSessionOptions {
  /** A Python with pyspark importable (the venv of infra/spark/requirements.txt, or a cluster's). */
  python: string;
  /** Spark master URL: local[2], spark://host:7077, yarn, k8s://… */
  master: string;
  appName: string;
  /** Spark settings for the session builder (spark.jars, spark.driver.memory, fs.s3a.*, …). */
  conf: Record<string, string>;
  logger: Logger;
}

interface Answer {
  id: number;
  ok?: true;
  error?: string;
  kind?: string;
  [key: string]: unknown;
}

/** Errors Spark raises for the query itself: a bug in the SQL Lamina sent, not an outage. */
const QUERY_ERRORS = new Set(['AnalysisException', 'ParseException', 'IllegalArgumentException', 'ValueError', 'ArithmeticException', 'SparkArithmeticException', 'NumberFormatException', 'SparkNumberFormatException']);

export class SparkSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private readonly tail: string[] = [];
  private exited: Error | undefined;
  version = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: SparkSessionOptions,
  ) {
    keepInto(child.stdout, this.tail, options.logger);
    keepInto(child.stderr, this.tail, options.logger);
  }

  static async start(options: SparkSessionOptions): Promise<SparkSession> {
    const settings = JSON.stringify({ master: options.master, appName: options.appName, conf: options.conf });
    const child = spawn(options.python, [DRIVER, settings], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const session = new SparkSession(child, options);
    const answers = createInterface({ input: child.stdio[3] as Readable });
    const first = await new Promise<Answer>((resolve, reject) => {
      child.once('error', (error) => reject(new ConfigError(`cannot run batch.spark.python (${options.python}): ${error.message}; install infra/spark/requirements.txt in a Python 3 environment and point batch.spark.python at its interpreter`, { cause: error })));
      child.once('exit', (code) => reject(startFailure(options, `the driver exited with ${code}`, session.tail)));
      answers.once('line', (line) => resolve(JSON.parse(line) as Answer));
    });
    child.removeAllListeners('exit');
    if (first.error !== undefined) {
      child.kill('SIGKILL');
      throw startFailure(options, `${first.kind}: ${first.error}`, session.tail);
    }
    session.version = String(first.version);
    child.on('exit', (code, signal) => session.fail(new UnavailableError(`the Spark driver ended (exit ${code ?? signal})${session.lastLines()}`)));
    answers.on('line', (line) => session.settle(JSON.parse(line) as Answer));
    options.logger.info({ master: options.master, version: session.version }, 'spark: session started');
    return session;
  }

  /** Sends one request and resolves its answer; a failed request rejects with a typed error. */
  async request(op: string, body: Record<string, unknown> = {}): Promise<Answer> {
    if (this.exited) throw this.exited;
    const id = this.nextId++;
    const answer = new Promise<Answer>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    (this.child.stdin as Writable).write(`${JSON.stringify({ id, op, ...body })}\n`);
    const started = performance.now();
    const result = await answer;
    this.options.logger.debug({ op, ms: Math.round(performance.now() - started), ...(typeof body.name === 'string' ? { name: body.name } : {}) }, 'spark: request answered');
    if (result.error !== undefined) {
      const message = `Spark ${op} failed: ${result.kind}: ${result.error.split('\n')[0]}`;
      throw QUERY_ERRORS.has(result.kind ?? '') ? new LaminaError('ENGINE_QUERY_FAILED', message) : new UnavailableError(`${message}${this.lastLines()}`);
    }
    return result;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const ended = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request('stop').catch(() => undefined);
    (this.child.stdin as Writable).end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await ended;
    clearTimeout(timer);
  }

  private settle(answer: Answer): void {
    const waiter = this.pending.get(answer.id);
    if (!waiter) return;
    this.pending.delete(answer.id);
    waiter.resolve(answer);
  }

  private fail(error: Error): void {
    this.exited = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  private lastLines(): string {
    const lines = this.tail.filter((l) => /ERROR|Exception|Error/.test(l)).slice(-8);
    return lines.length ? `; Spark's last errors:\n${lines.join('\n')}` : '';
  }
}

function keepInto(stream: Readable | null, tail: string[], logger: Logger): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => {
    logger.debug({ spark: line }, 'spark');
    tail.push(line);
    if (tail.length > KEPT_LINES) tail.shift();
  });
}

function startFailure(options: SparkSessionOptions, reason: string, tail: string[]): LaminaError {
  const said = tail.slice(-12).join('\n');
  if (/No module named 'pyspark'/.test(reason + said)) {
    return new ConfigError(`batch.spark.python (${options.python}) cannot import pyspark: install infra/spark/requirements.txt into it (pyspark==3.5.9, delta-spark==3.3.2)`);
  }
  if (/JAVA_HOME|Java gateway process exited|java: not found/.test(reason + said)) {
    return new ConfigError(`Spark could not start its JVM: install Java 17 and put java on PATH (or set JAVA_HOME)\n${said}`);
  }
  return new UnavailableError(`the Spark session did not start (${reason}, master ${options.master})\n${said}`);
}
