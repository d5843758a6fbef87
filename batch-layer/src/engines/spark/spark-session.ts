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
/** A session that has not answered by then is stuck (a cluster with no free executors, a hung JVM). */
const START_TIMEOUT_MS = 180_000;
/** How long a stopping driver may take to end its session (a running query is cut short by the kill). */
const STOP_TIMEOUT_MS = 30_000;

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
  /** The innermost Spark error class behind a failure (spark_driver.py), e.g. ARITHMETIC_OVERFLOW. */
  errorClass?: string | null;
  [key: string]: unknown;
}

/** Python-side errors raised for the query itself: a bug in the SQL Lamina sent, not an outage. */
const QUERY_KINDS = new Set(['AnalysisException', 'ParseException', 'IllegalArgumentException', 'ValueError', 'PySparkTypeError', 'PySparkValueError']);
/**
 * Spark error classes of the data or the SQL (found behind a failed job's SparkException): retrying
 * the run computes the same error again, so it is not retriable. Anything else (lost executors,
 * fetch failures, storage) is.
 */
const QUERY_ERROR_CLASSES = /^(ARITHMETIC_OVERFLOW|CAST_|DIVIDE_BY_ZERO|NUMERIC_|INVALID_|UNRESOLVED_|DATATYPE_|PARSE_|INCOMPATIBLE_|NOT_NULL_|DATETIME_|UNSUPPORTED_)/;

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
    // A driver that dies while a request is being written: its exit fails the session; the EPIPE must not end Lamina.
    child.stdin?.on('error', (error) => options.logger.debug({ err: error }, 'spark: driver stdin closed'));
  }

  static async start(options: SparkSessionOptions): Promise<SparkSession> {
    const settings = JSON.stringify({ master: options.master, appName: options.appName, conf: options.conf });
    const child = spawn(options.python, [DRIVER, settings], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const session = new SparkSession(child, options);
    const answers = createInterface({ input: child.stdio[3] as Readable });
    let timer: NodeJS.Timeout | undefined;
    let first: Answer;
    try {
      first = await new Promise<Answer>((resolve, reject) => {
        timer = setTimeout(() => reject(new UnavailableError(`the Spark session did not start within ${START_TIMEOUT_MS / 1000} s (master ${options.master})${session.lastLines()}`)), START_TIMEOUT_MS);
        child.once('error', (error) => reject(new ConfigError(`cannot run batch.spark.python (${options.python}): ${error.message}; install infra/spark/requirements.txt in a Python 3 environment and point batch.spark.python at its interpreter`, { cause: error })));
        child.once('exit', (code) => reject(startFailure(options, `the driver exited with ${code}`, session.tail)));
        answers.once('line', (line) => {
          try {
            resolve(JSON.parse(line) as Answer);
          } catch (error) {
            reject(new UnavailableError(`the Spark driver answered something that is not JSON: ${line.slice(0, 200)}`, { cause: error }));
          }
        });
      });
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
      child.removeAllListeners('exit');
    }
    if (first.error !== undefined) {
      child.kill('SIGKILL');
      throw startFailure(options, `${first.kind}: ${first.error}`, session.tail);
    }
    session.version = String(first.version);
    child.on('exit', (code, signal) => session.fail(new UnavailableError(`the Spark driver ended (exit ${code ?? signal})${session.lastLines()}`)));
    answers.on('line', (line) => session.receive(line));
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
      const cause = result.errorClass ? `${result.kind} [${result.errorClass}]` : result.kind;
      const message = `Spark ${op} failed: ${cause}: ${result.error.split('\n')[0]}`;
      const ofTheQuery = QUERY_KINDS.has(result.kind ?? '') || QUERY_ERROR_CLASSES.test(result.errorClass ?? '');
      throw ofTheQuery ? new LaminaError('ENGINE_QUERY_FAILED', message) : new UnavailableError(`${message}${this.lastLines()}`);
    }
    return result;
  }

  /** Ends the session; a driver still busy (a query the run gave up on) is killed past STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const ended = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await Promise.race([this.request('stop').catch(() => undefined), ended]);
      (this.child.stdin as Writable).end();
      await ended;
    } finally {
      clearTimeout(timer);
    }
  }

  private receive(line: string): void {
    let answer: Answer;
    try {
      answer = JSON.parse(line) as Answer;
    } catch (error) {
      // The protocol is broken: nothing later can be trusted to match its request.
      this.fail(new UnavailableError(`the Spark driver answered something that is not JSON: ${line.slice(0, 200)}`, { cause: error }));
      this.child.kill('SIGKILL');
      return;
    }
    const waiter = this.pending.get(answer.id);
    if (!waiter) return;
    this.pending.delete(answer.id);
    waiter.resolve(answer);
  }

  private fail(error: Error): void {
    this.exited ??= error;
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
