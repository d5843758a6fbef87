/**
 * checkCompose: docker-compose.yml against the truth in the sources (see lamina-facts.ts). Returns
 * the problems found, each a sentence saying what to fix; an empty list means the file is consistent.
 */
import { resolve } from 'node:path';
import { ConfigError } from '@lamina/shared';
import { readRuntimeOptions, type RuntimeOptions } from '../../cli/src/runtime-options.js';
import { readCompose, stringsIn, type ComposeModel, type ComposeService } from './compose-model.js';
import { checkInfra, infraRole, parseImage, type InfraOffer } from './compose-infra-check.js';
import type { LaminaFacts } from './lamina-facts.js';

/** Settings that decide which log and lake a process uses: every Lamina service must agree on them. */
export const SHARED_SETTINGS = ['LAMINA_CONFIG', 'LAMINA_TOPIC', 'LAMINA_KAFKA_BROKERS', 'LAMINA_S3_ENDPOINT', 'LAMINA_S3_BUCKET', 'LAMINA_S3_PREFIX', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

const TOP_LEVEL = new Set(['name', 'services', 'volumes', 'networks', 'configs', 'secrets', 'include']);
const SERVICE_KEYS = new Set([
  'build', 'image', 'command', 'entrypoint', 'environment', 'env_file', 'depends_on', 'ports', 'expose', 'volumes', 'healthcheck',
  'restart', 'stop_grace_period', 'stop_signal', 'hostname', 'container_name', 'networks', 'init', 'user', 'working_dir', 'labels',
  'logging', 'deploy', 'profiles', 'ulimits', 'mem_limit', 'cpus', 'read_only', 'tmpfs', 'extra_hosts', 'pull_policy', 'platform',
]);
const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);

interface LaminaService {
  service: ComposeService;
  words: string[];
  options: RuntimeOptions;
  listens: boolean;
}

export async function checkCompose(composeText: string, facts: LaminaFacts): Promise<string[]> {
  const model = readCompose(composeText);
  if (!('services' in model)) return model.problems;
  const problems = [...model.problems, ...checkShape(model)];
  const isLamina = (s: ComposeService) => s.build !== undefined || (s.image !== undefined && infraRole(s.image) === undefined && model.services.some((o) => o.build && o.image === s.image));
  const infra = checkInfra(model.services.filter((s) => !isLamina(s)), facts);
  problems.push(...infra.problems);
  const candidates = model.services.filter(isLamina);
  const lamina = (await Promise.all(candidates.map((s) => readLaminaService(s, facts, problems)))).filter((s) => s !== undefined);
  if (candidates.length === 0) problems.push('no Lamina service (one with build: . and the repo Dockerfile)');
  for (const s of lamina) problems.push(...checkLaminaService(s, infra.offer));
  // Services already reported as unreadable are left out of the cross-checks, not reported again.
  const unreadable = new Set(candidates.filter((c) => !lamina.some((s) => s.service === c)).map((c) => c.name));
  problems.push(...checkAcrossLamina(lamina, unreadable));
  return problems;
}

/** Shape rules for every service: known keys, pinned images, valid depends_on, declared volumes, no stray `$`. */
function checkShape(model: ComposeModel): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(model.doc)) if (!TOP_LEVEL.has(key) && !key.startsWith('x-')) problems.push(`unknown top-level key '${key}'`);
  const names = new Set(model.services.map((s) => s.name));
  for (const s of model.services) {
    for (const key of Object.keys(s.raw)) if (!SERVICE_KEYS.has(key)) problems.push(`service ${s.name}: unknown key '${key}'`);
    const { tag } = parseImage(s.image ?? '');
    if (!s.build && (tag === undefined || tag === 'latest')) problems.push(`service ${s.name}: pin image '${s.image}' to an explicit version (no latest)`);
    for (const [target, condition] of s.dependsOn) {
      const other = model.services.find((o) => o.name === target);
      if (!names.has(target)) problems.push(`service ${s.name}: depends_on names no service '${target}'`);
      else if (!CONDITIONS.has(condition)) problems.push(`service ${s.name}: depends_on ${target} has unknown condition '${condition}'`);
      else if (condition === 'service_healthy' && !other?.healthcheck) problems.push(`service ${s.name}: depends_on ${target} is service_healthy but ${target} has no healthcheck`);
      else if (condition === 'service_completed_successfully' && /always|unless-stopped/.test(String(other?.raw.restart))) {
        problems.push(`service ${s.name}: waits for ${target} to complete, but ${target} restarts forever`);
      }
    }
    for (const v of s.volumes) if (!/^[./~]/.test(v.source) && !model.namedVolumes.has(v.source)) problems.push(`service ${s.name}: volume '${v.source}' is not declared under top-level volumes`);
    for (const [path, text] of stringsIn(s.raw, `services.${s.name}`)) {
      if (/\$(?!\$)/.test(text.replace(/\$\$/g, ''))) problems.push(`${path}: compose interpolates '$' (write $$ for a literal $): ${text}`);
    }
  }
  return problems;
}

async function readLaminaService(service: ComposeService, facts: LaminaFacts, problems: string[]): Promise<LaminaService | undefined> {
  const say = (message: string) => problems.push(`service ${service.name}: ${message}`);
  const dockerfile = service.build && resolve(facts.root, service.build.context, service.build.dockerfile);
  if (dockerfile !== resolve(facts.root, 'Dockerfile')) say(`must build the repo's Dockerfile (build: {context: ., dockerfile: Dockerfile}); got ${JSON.stringify(service.build ?? null)}`);
  if (service.raw.entrypoint !== undefined) say("must not override the entrypoint: the Dockerfile's runs cli/src/main.ts");
  for (const name of Object.keys(service.environment)) {
    // Node's own settings (the heap cap of docs/operations.md) are read by node, not by the CLI.
    if (name === 'NODE_OPTIONS') continue;
    if (!facts.envVars.has(name)) say(`sets ${name}, which cli/src/runtime-options.ts does not read`);
  }
  let options: RuntimeOptions;
  try {
    options = readRuntimeOptions(service.environment);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    say(`its environment is rejected by readRuntimeOptions: ${error.message}`);
    return undefined;
  }
  if (service.command === undefined) {
    say("needs a command: without one it runs the image's default (embedded mode)");
    return undefined;
  }
  const probe = await facts.probeCommand(service.command);
  if (probe.problem !== undefined) {
    say(probe.problem);
    return undefined;
  }
  // A command listens on PORT exactly when its help says so (dev, speed, serve).
  return { service, words: service.command, options, listens: /\bPORT\b/.test(probe.help) };
}

function checkLaminaService({ service, words, options, listens }: LaminaService, offer: InfraOffer): string[] {
  const problems: string[] = [];
  const say = (message: string) => problems.push(`service ${service.name}: ${message}`);
  const containerPorts = new Set(service.ports.map((p) => p.container));
  if (listens && !containerPorts.has(options.port)) say(`'lamina ${words.join(' ')}' listens on PORT ${options.port}, which its ports/expose do not list`);
  if (!listens && (service.environment.PORT !== undefined || containerPorts.size > 0)) say(`'lamina ${words.join(' ')}' listens on no port; drop PORT and ports/expose`);
  for (const port of containerPorts) if (listens && port !== options.port) say(`ports/expose lists ${port}, but the process listens on PORT ${options.port}`);
  for (const [, text] of stringsIn(service.healthcheck?.test, 'healthcheck')) {
    for (const m of text.matchAll(/(?:localhost|127\.0\.0\.1):(\d+)/g)) if (Number(m[1]) !== options.port) say(`healthcheck probes port ${m[1]}, not PORT ${options.port}`);
  }
  if (!options.kafka) say('needs LAMINA_KAFKA_BROKERS: without it the process uses an embedded log of its own');
  else if (offer.kafka) {
    for (const broker of options.kafka.brokers) if (!offer.kafka.brokers.has(broker)) say(`LAMINA_KAFKA_BROKERS has ${broker}, which ${offer.kafka.service} does not advertise (${[...offer.kafka.brokers].join(', ')})`);
    // `lamina batch …` reads only the lake (cli/src/batch-commands.ts), so it need not wait for Kafka.
    if (service.dependsOn.get(offer.kafka.service) !== 'service_healthy' && words[0] !== 'batch') say(`must depend on ${offer.kafka.service} with condition service_healthy`);
  }
  if (!options.s3) say('needs LAMINA_S3_BUCKET: without it the process uses a local-folder lake of its own');
  else if (offer.s3) {
    const endpoint = options.s3.endpoint ? new URL(options.s3.endpoint) : undefined;
    if (!endpoint || `${endpoint.hostname}:${endpoint.port || 80}` !== offer.s3.hostPort) say(`LAMINA_S3_ENDPOINT must be http://${offer.s3.hostPort} (the MinIO service), got ${options.s3.endpoint}`);
    if (options.s3.accessKeyId !== offer.s3.user || options.s3.secretAccessKey !== offer.s3.password) say("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not MinIO's MINIO_ROOT_USER / MINIO_ROOT_PASSWORD");
    const creator = offer.buckets.get(options.s3.bucket);
    if (creator === undefined) say(`no service creates the bucket '${options.s3.bucket}' (buckets created: ${[...offer.buckets.keys()].join(', ') || 'none'})`);
    else if (service.dependsOn.get(creator) !== 'service_completed_successfully') say(`must depend on ${creator} with condition service_completed_successfully (it creates the bucket)`);
  }
  return problems;
}

/** Speed instances, the serving layer's LAMINA_SPEED_URLS, the published port, shared settings. */
function checkAcrossLamina(lamina: LaminaService[], unreadable: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const speeds = lamina.filter((s) => s.words[0] === 'speed');
  const servings = lamina.filter((s) => s.words[0] === 'serve');
  const instances = new Map<string, string>();
  for (const { service } of speeds) {
    const instance = service.environment.LAMINA_INSTANCE;
    if (instance === undefined) problems.push(`service ${service.name}: set LAMINA_INSTANCE; its default uses the pid, the same in every container`);
    else if (instances.has(instance)) problems.push(`services ${instances.get(instance)} and ${service.name} share LAMINA_INSTANCE=${instance}`);
    else instances.set(instance, service.name);
  }
  if (servings.length === 0) problems.push('no serving service (command ["serve"])');
  const defaultPort = readRuntimeOptions({}).port;
  if (!servings.some(({ service, options }) => service.ports.some((p) => p.published === defaultPort && p.container === options.port))) {
    problems.push(`a serving service must publish ${defaultPort}:<its PORT> (the documented http://localhost:${defaultPort}/graphql)`);
  }
  for (const { service, options } of servings) {
    const say = (message: string) => problems.push(`service ${service.name}: ${message}`);
    if (options.speedUrls.length === 0) say('needs LAMINA_SPEED_URLS (lamina serve refuses to start without it)');
    const listed = new Set<string>();
    for (const url of options.speedUrls) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        say(`LAMINA_SPEED_URLS entry '${url}' is not a URL`);
        continue;
      }
      const speed = speeds.find((s) => s.service.name === parsed.hostname);
      if (unreadable.has(parsed.hostname)) continue;
      if (speed === undefined) say(`LAMINA_SPEED_URLS entry ${url} names no speed service (${speeds.map((s) => s.service.name).join(', ') || 'none'})`);
      else if (Number(parsed.port || 80) !== speed.options.port) say(`LAMINA_SPEED_URLS entry ${url}: ${speed.service.name} listens on PORT ${speed.options.port}`);
      else if (listed.has(speed.service.name)) say(`LAMINA_SPEED_URLS lists ${speed.service.name} twice`);
      else listed.add(speed.service.name);
      if (speed && !service.dependsOn.has(speed.service.name)) say(`should depend on ${speed.service.name}`);
    }
    for (const speed of speeds) if (!listed.has(speed.service.name)) say(`LAMINA_SPEED_URLS leaves out ${speed.service.name}: its partitions would be missing from answers`);
  }
  const images = new Set(lamina.map((s) => s.service.image));
  if (images.size > 1) problems.push(`Lamina services tag the image differently (${[...images].join(', ')}); use one tag`);
  for (const key of SHARED_SETTINGS) {
    const values = new Set(lamina.map((s) => s.service.environment[key]));
    if (values.size > 1) problems.push(`Lamina services disagree on ${key} (${[...values].map(String).join(' / ')}): they must share one log and one lake`);
  }
  return problems;
}
