/**
 * The serving layer: GraphQL (graphql-yoga) over exact merged answers, HTTP ingest, metrics.
 * It knows the speed layer only as RealtimeSources and the batch layer only through the lake,
 * plus an optional `runBatch` callback the embedded entry point provides.
 */
import { createServer, type Server } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { getOperationAST } from 'graphql';
import { GenerationStore, RunHistory, LogGuard, LogMismatchError, ValidationError, closeServer, listen, resolveSchemas, sendJson, serveHealth, type EventLog, type GenerationManifest, type LaminaConfig, type Logger, type ObjectStore, type Readiness, type RealtimeSource, type Registry } from '@lamina/shared';
import { buildSdl } from './graphql/schema-sdl.js';
import { buildResolvers, type LaminaContext } from './graphql/resolvers.js';
import { buildSubscriptionSdl } from './graphql/subscription-sdl.js';
import { buildSubscriptionResolvers } from './graphql/subscription-resolvers.js';
import { useSlicedJson } from './graphql/use-sliced-json.js';
import { useLaminaExtensions } from './graphql/use-lamina-extensions.js';
import { createMaskError } from './graphql/mask-error.js';
import { useBodyLimit } from './graphql/use-body-limit.js';
import { useQueryLimits } from './graphql/use-query-limits.js';
import { renderLocalGraphiQL } from './graphql/graphiql.js';
import { handleIngest } from './http-routes.js';
import { serveDashboard } from './dashboard/dashboard-routes.js';
import { IngestService } from './ingest-service.js';
import { LoadedGenerations } from './loaded-generations.js';
import { ChunkCache } from './store/chunk-cache.js';
import { AccessControl, type AccessKeys } from './access-control.js';
import { useAccessControl } from './graphql/use-access-control.js';
import { Dictionaries } from './store/dimension-dictionary.js';
import { QueryService } from './query-service.js';

export interface ServingLayerOptions {
  config: LaminaConfig;
  log: EventLog;
  store: ObjectStore;
  realtime: readonly RealtimeSource[];
  logger: Logger;
  registry: Registry;
  /** Embedded mode: runs the batch layer now and returns the generation it published. */
  runBatch?: (options: { full: boolean }) => Promise<{ manifest: GenerationManifest; durationMs: number }>;
  /** Poll for new generations (ms); 0 disables (embedded mode refreshes after runBatch). */
  generationPollMs?: number;
  /** Probes the log and the store for GET /readyz; absent: always ready. */
  readiness?: Readiness;
  /** How long an ingest request waits for the log to acknowledge before answering 503; default 10000 ms. */
  ingestTimeoutMs?: number;
  /** Keys per scope (read, write, admin); none: open (see access-control.ts). */
  access?: AccessKeys;
  /** Origins a browser may call GraphQL and ingest from (CORS); none: same origin only; ['*']: any. */
  corsOrigins?: readonly string[];
  /** Metrics of layers on another thread of this process (embedded mode's consumers), added to /metrics. */
  moreMetrics?: () => Promise<string>;
}

export class ServingLayer {
  readonly generations: LoadedGenerations;
  readonly queries: QueryService;
  readonly ingest: IngestService;
  readonly yoga;
  private server: Server | undefined;
  private poller: NodeJS.Timeout | undefined;
  /** Ingest refuses events while the log is not the log the lake describes. */
  private readonly guard: LogGuard;

  private readonly access: AccessControl;

  constructor(private readonly options: ServingLayerOptions) {
    const { config, store, logger } = options;
    this.access = new AccessControl(options.access);
    const dictionaries = new Dictionaries();
    const chunks = new ChunkCache(config.serving.memoryBudgetMB * 2 ** 20, options.registry);
    this.generations = new LoadedGenerations(config, store, new GenerationStore(store), logger, chunks, dictionaries);
    this.queries = new QueryService(config, this.generations, options.realtime, logger, dictionaries, options.registry, config.serving.cachedQueries, config.serving.consistencyWaitMs, config.serving.answerCacheMB * 2 ** 20);
    this.guard = new LogGuard({ log: options.log, store, topic: config.topic, partitions: config.partitions, logger, registry: options.registry });
    this.ingest = new IngestService(config, options.log, options.registry, options.ingestTimeoutMs, this.guard);
    const runBatch = options.runBatch ? (runOptions: { full: boolean }) => this.runBatchNow(runOptions) : undefined;
    this.yoga = createYoga<LaminaContext>({
      schema: createSchema({
        typeDefs: [buildSdl(this.generations.views), buildSubscriptionSdl(this.generations.views)],
        resolvers: [
          buildResolvers(this.generations.views, { queries: this.queries, generations: this.generations, history: new RunHistory(store), ...(runBatch ? { runBatch } : {}) }),
          buildSubscriptionResolvers(this.generations.views, { queries: this.queries, registry: options.registry, logger }),
        ],
      }),
      graphqlEndpoint: '/graphql',
      landingPage: false,
      renderGraphiQL: renderLocalGraphiQL,
      logging: false,
      maskedErrors: { maskError: createMaskError(logger) },
      cors: corsOptions(options.corsOrigins),
      // 413 from Content-Length before the body is read, else as soon as the stream passes it (use-body-limit.ts).
      maxRequestBodySize: false,
      // graphql-jit compiles each query document once (cached) instead of interpreting it per request:
      // a 15k-row answer's field resolution was a sixth of its CPU. First, so the deadline wraps it.
      // Queries only: subscriptions (async generators, per-event limits) stay with graphql-js.
      plugins: [useAccessControl(this.access), useGraphQlJit({}, { enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation === 'query' }), useBodyLimit(config.serving.limits.maxBodyBytes), useQueryLimits({ limits: config.serving.limits, views: this.generations.views, registry: options.registry, logger }), useLaminaExtensions(), useSlicedJson()],
    });
  }

  /** Embedded mode: runs the batch layer now and serves the generation it published. */
  async runBatchNow(runOptions: { full: boolean }): Promise<{ manifest: GenerationManifest; durationMs: number }> {
    if (!this.options.runBatch) throw new ValidationError('running a batch from the serving layer works in embedded mode only; in distributed mode run `lamina batch run`');
    const result = await this.options.runBatch(runOptions);
    await this.generations.refresh();
    return result;
  }

  async start(port: number, host = '0.0.0.0'): Promise<number> {
    await resolveSchemas(this.options.store, this.options.config);
    await this.options.log.ensureTopic(this.options.config.topic, this.options.config.partitions);
    // Serving stays up on a mismatched log (answers from the lake are still right); ingest refuses.
    await this.guard.verify().catch((error: unknown) => {
      if (!(error instanceof LogMismatchError)) throw error;
    });
    this.guard.start();
    await this.generations.refresh();
    const pollMs = this.options.generationPollMs ?? this.options.config.speed.generationPollMs;
    if (pollMs > 0) {
      this.poller = setInterval(() => {
        this.generations.refresh().catch((error) => this.options.logger.warn({ err: error }, 'serving: could not load the newest generation'));
      }, pollMs);
      this.poller.unref();
    }
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/graphql') return void this.yoga(req, res);
      if (path === '/v1/events') return void handleIngest(req, res, this.ingest, this.options.logger, this.access, this.options.corsOrigins ?? []);
      if (serveHealth(path!, res, this.options)) return;
      if (serveDashboard(path!, res, this.generations.views, this.options.logger)) return;
      sendJson(res, 404, { error: `no route ${path}; try / (dashboard), /graphql, POST /v1/events, /metrics, /healthz, /readyz` });
    });
    // A client that drips its headers or body is cut off (408) instead of holding a socket for node's default 5 minutes.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    const bound = await listen(this.server, port, host);
    this.options.logger.info({ url: `http://localhost:${bound}/graphql` }, 'serving layer listening');
    return bound;
  }

  async stop(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.guard.stop();
    await closeServer(this.server);
  }
}

/** graphql-yoga's CORS: off unless origins are configured (its default would let any site read). */
function corsOptions(origins: readonly string[] | undefined) {
  if (!origins || origins.length === 0) return false as const;
  return { origin: origins.includes('*') ? '*' : [...origins], allowedHeaders: ['content-type', 'authorization', 'x-api-key'], methods: ['GET', 'POST', 'OPTIONS'] };
}
