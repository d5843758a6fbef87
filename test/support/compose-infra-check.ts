/**
 * Checks of the compose services Lamina depends on (Kafka, MinIO, the bucket-creating mc job), and
 * what they offer the Lamina services: broker addresses, the S3 endpoint and its credentials, buckets.
 */
import type { ComposeService } from './compose-model.js';
import type { LaminaFacts } from './lamina-facts.js';

export interface InfraOffer {
  kafka: { service: string; brokers: Set<string> } | undefined;
  s3: { service: string; hostPort: string; user: string; password: string } | undefined;
  /** bucket name -> the service that creates it. */
  buckets: Map<string, string>;
}

export type InfraRole = 'kafka' | 'minio' | 'mc' | 'monitoring';

export function parseImage(image: string): { repository: string; tag: string | undefined } {
  const name = image.split('@')[0]!;
  const colon = name.lastIndexOf(':');
  const tagged = colon > name.lastIndexOf('/');
  return { repository: tagged ? name.slice(0, colon) : name, tag: tagged ? name.slice(colon + 1) : undefined };
}

export function infraRole(image: string | undefined): InfraRole | undefined {
  const repository = parseImage(image ?? '').repository.replace(/^(docker\.io|quay\.io)\//, '');
  return ({ 'apache/kafka': 'kafka', 'minio/minio': 'minio', 'minio/mc': 'mc', 'prom/prometheus': 'monitoring', 'grafana/grafana': 'monitoring' } as Record<string, InfraRole>)[repository];
}

const MINIO_RELEASE = /^RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/;

export function checkInfra(services: ComposeService[], facts: LaminaFacts): { problems: string[]; offer: InfraOffer } {
  const problems: string[] = [];
  const offer: InfraOffer = { kafka: undefined, s3: undefined, buckets: new Map() };
  for (const service of services) {
    const role = infraRole(service.image);
    const tag = parseImage(service.image ?? '').tag;
    if (role === undefined) {
      problems.push(`service ${service.name}: image '${service.image}' is neither Lamina's (build: .) nor Kafka, MinIO or mc; teach test/support/compose-infra-check.ts about it`);
    } else if (role === 'monitoring') {
      // Prometheus and Grafana: optional (a profile), pinned, and checked against the code by test/monitoring-files.test.ts.
      if (tag === undefined || tag === 'latest') problems.push(`service ${service.name}: pin image ${service.image} to a version`);
      if (!Array.isArray(service.raw.profiles) || !service.raw.profiles.includes('monitoring')) problems.push(`service ${service.name}: runs only on demand: profiles: ["monitoring"]`);
    } else if (role === 'kafka') {
      if (tag !== facts.kafkaVersion) problems.push(`service ${service.name}: image ${service.image} must be pinned to Kafka ${facts.kafkaVersion}, the version in infra/kafka/pom.xml`);
      if (offer.kafka) problems.push(`service ${service.name}: a second Kafka; the checks assume one single-node broker`);
      offer.kafka = { service: service.name, brokers: checkKafka(service, problems) };
    } else {
      if (tag === undefined || !MINIO_RELEASE.test(tag)) problems.push(`service ${service.name}: image ${service.image} must be pinned to a RELEASE.<timestamp> tag`);
      if (role === 'minio') {
        if (offer.s3) problems.push(`service ${service.name}: a second MinIO; the checks assume one`);
        offer.s3 = checkMinio(service, problems);
      }
    }
  }
  // mc jobs last: they are checked against the MinIO they talk to.
  for (const service of services.filter((s) => infraRole(s.image) === 'mc')) {
    const bucket = checkBucketJob(service, offer, problems);
    if (bucket !== undefined) offer.buckets.set(bucket, service.name);
  }
  if (!offer.kafka) problems.push('no Kafka service (image apache/kafka)');
  if (!offer.s3) problems.push('no MinIO service (image minio/minio)');
  return { problems, offer };
}

function listeners(value: string | undefined): Map<string, { host: string; port: number }> {
  const result = new Map<string, { host: string; port: number }>();
  for (const entry of (value ?? '').split(',').filter(Boolean)) {
    const m = /^([A-Za-z_][\w-]*):\/\/([^:]*):(\d+)$/.exec(entry.trim());
    if (m) result.set(m[1]!, { host: m[2]!, port: Number(m[3]) });
  }
  return result;
}

function checkKafka(service: ComposeService, problems: string[]): Set<string> {
  const env = service.environment;
  const say = (message: string) => problems.push(`service ${service.name}: ${message}`);
  const roles = new Set((env.KAFKA_PROCESS_ROLES ?? '').split(',').map((r) => r.trim()));
  if (!roles.has('broker') || !roles.has('controller')) say('KAFKA_PROCESS_ROLES must be broker,controller (single-node KRaft)');
  const own = listeners(env.KAFKA_LISTENERS);
  const advertised = listeners(env.KAFKA_ADVERTISED_LISTENERS);
  const controllers = (env.KAFKA_CONTROLLER_LISTENER_NAMES ?? '').split(',').filter(Boolean);
  if (controllers.length === 0 || !controllers.every((name) => own.has(name))) say('KAFKA_CONTROLLER_LISTENER_NAMES must name listeners in KAFKA_LISTENERS');
  const mapped = new Set((env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? '').split(',').map((pair) => pair.split(':')[0]));
  for (const name of own.keys()) if (!mapped.has(name)) say(`listener ${name} has no entry in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP`);
  const controllerPort = own.get(controllers[0] ?? '')?.port;
  const voter = `${env.KAFKA_NODE_ID}@${service.name}:${controllerPort}`;
  if (!(env.KAFKA_CONTROLLER_QUORUM_VOTERS ?? '').split(',').includes(voter)) say(`KAFKA_CONTROLLER_QUORUM_VOTERS must include ${voter} (node id, this service, controller port)`);
  for (const key of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']) {
    if (env[key] !== '1') say(`${key} must be 1 with a single broker (got ${env[key] ?? 'the default, >1'}): consumer groups and transactions would not work`);
  }
  if (env.KAFKA_MIN_INSYNC_REPLICAS !== undefined && env.KAFKA_MIN_INSYNC_REPLICAS !== '1') say('KAFKA_MIN_INSYNC_REPLICAS must be 1 with a single broker');
  if (env.KAFKA_AUTO_CREATE_TOPICS_ENABLE !== 'false') say('KAFKA_AUTO_CREATE_TOPICS_ENABLE must be "false": Lamina creates its topic with the configured partitions');
  if (env.KAFKA_LOG_DIRS && !service.volumes.some((v) => v.target === env.KAFKA_LOG_DIRS)) say(`mount a volume at KAFKA_LOG_DIRS (${env.KAFKA_LOG_DIRS}), or the log is lost while the lake keeps its offsets`);
  if (!JSON.stringify(service.healthcheck?.test ?? '').includes('kafka-topics.sh')) say("needs a healthcheck with the image's kafka-topics.sh");
  const brokers = new Set<string>();
  for (const [name, address] of advertised) {
    if (controllers.includes(name)) continue;
    if (own.get(name)?.port !== address.port) say(`advertised listener ${name} port ${address.port} is not the port it listens on`);
    if (address.host !== service.name) say(`advertised listener ${name} must use the service name '${service.name}' as host, got '${address.host}'`);
    brokers.add(`${address.host}:${address.port}`);
  }
  if (brokers.size === 0) say('KAFKA_ADVERTISED_LISTENERS advertises no client listener');
  return brokers;
}

function checkMinio(service: ComposeService, problems: string[]): InfraOffer['s3'] {
  const say = (message: string) => problems.push(`service ${service.name}: ${message}`);
  const command = service.command ?? [];
  if (command[0] !== 'server') say(`command must start with "server", got ${JSON.stringify(command)}`);
  const addressAt = command.indexOf('--address');
  const port = addressAt === -1 ? 9000 : Number(command[addressAt + 1]?.split(':').pop());
  const dataDir = command.slice(1).find((arg, i, args) => !arg.startsWith('-') && args[i - 1] !== '--address' && args[i - 1] !== '--console-address');
  if (dataDir === undefined || !service.volumes.some((v) => v.target === dataDir)) say(`mount a volume at the data dir (${dataDir ?? 'none given'})`);
  const user = service.environment.MINIO_ROOT_USER ?? '';
  const password = service.environment.MINIO_ROOT_PASSWORD ?? '';
  if (user.length < 3 || password.length < 8) say('MINIO_ROOT_USER (>= 3 chars) and MINIO_ROOT_PASSWORD (>= 8 chars) must be set; MinIO refuses shorter ones');
  if (!JSON.stringify(service.healthcheck?.test ?? '').includes('/minio/health/')) say('needs a healthcheck on /minio/health/ready');
  return { service: service.name, hostPort: `${service.name}:${port}`, user, password };
}

/** `mc mb <alias>/<bucket>` with MC_HOST_<alias> pointing at the MinIO service. Returns the bucket. */
function checkBucketJob(service: ComposeService, offer: InfraOffer, problems: string[]): string | undefined {
  const say = (message: string) => problems.push(`service ${service.name}: ${message}`);
  const command = service.command ?? [];
  const target = command[0] === 'mb' ? command.slice(1).filter((a) => !a.startsWith('-')) : [];
  const [alias, bucket, ...more] = target.length === 1 ? target[0]!.split('/') : [];
  if (!alias || !bucket || more.length > 0) {
    say(`command must be ["mb", "--ignore-existing", "<alias>/<bucket>"], got ${JSON.stringify(command)}`);
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(service.environment[`MC_HOST_${alias}`] ?? '');
  } catch {
    say(`MC_HOST_${alias} must be http://<user>:<password>@<minio>:<port> for the alias '${alias}'`);
    return undefined;
  }
  const s3 = offer.s3;
  if (s3 && `${url.hostname}:${url.port || 80}` !== s3.hostPort) say(`MC_HOST_${alias} points at ${url.host}, not the MinIO service ${s3.hostPort}`);
  if (s3 && (decodeURIComponent(url.username) !== s3.user || decodeURIComponent(url.password) !== s3.password)) say(`MC_HOST_${alias} credentials are not MinIO's root user and password`);
  if (s3 && service.dependsOn.get(s3.service) !== 'service_healthy') say(`must depend on ${s3.service} with condition service_healthy`);
  return bucket;
}
