/**
 * The Docker packaging (docker-compose.yml, Dockerfile, .dockerignore), checked statically against
 * the sources: no Docker engine runs here. Each check is also shown to fail on a broken copy.
 */
import { describe, test } from 'node:test';
import { parseYaml } from './support/yaml-file.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCompose, SHARED_SETTINGS } from './support/compose-check.js';
import { checkDockerfile, dockerignore } from './support/dockerfile-check.js';
import { envVarsRead, readLaminaFacts } from './support/lamina-facts.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const facts = readLaminaFacts(root);
const compose = read('docker-compose.yml');
const dockerfile = read('Dockerfile');
const ignore = read('.dockerignore');

/** Replaces the one occurrence of `from` (inside one service's block when `service` is given). */
function mutate(text: string, from: string, to: string, service?: string): string {
  let start = 0;
  let end = text.length;
  if (service !== undefined) {
    start = text.indexOf(`\n  ${service}:\n`);
    assert.notEqual(start, -1, `no service ${service} in the text`);
    const next = text.slice(start + 1).search(/\n {2}[a-z][\w-]*:\n|\n[a-z]/);
    end = next === -1 ? text.length : start + 1 + next;
  }
  const scope = text.slice(start, end);
  const at = scope.indexOf(from);
  assert.notEqual(at, -1, `mutation target '${from}' not found${service ? ` in ${service}` : ''}: update this test`);
  assert.equal(scope.indexOf(from, at + 1), -1, `mutation target '${from}' is ambiguous: give a service`);
  return text.slice(0, start) + scope.slice(0, at) + to + scope.slice(at + from.length) + text.slice(end);
}

type Mutation = [what: string, broken: () => string, reported: string];

const composeMutations: Mutation[] = [
  ['a command the CLI does not have', () => mutate(compose, '["archive"]', '["archiv"]'), "'lamina archiv' is not a lamina command"],
  ['a command group that runs nothing', () => mutate(compose, '["batch", "schedule"]', '["batch"]'), "'lamina batch' is a command group"],
  ['an option the command does not have', () => mutate(compose, '["speed"]', '["speed", "--fast"]', 'speed-1'), '--fast not in its --help'],
  ['no command (the image default, embedded mode)', () => mutate(compose, '    command: ["archive"]\n', ''), 'archiver: needs a command'],
  ['an env var the CLI does not read', () => mutate(compose, '  LAMINA_S3_BUCKET: "lamina"\n', '  LAMINA_S3_BUCKET: "lamina"\n  LAMINA_BUCKET: "lamina"\n'), 'sets LAMINA_BUCKET, which cli/src/runtime-options.ts does not read'],
  ['an env value readRuntimeOptions rejects', () => mutate(compose, 'PORT: "4001"', 'PORT: "http"', 'speed-1'), 'rejected by readRuntimeOptions: PORT must be a TCP port'],
  ['a PORT its expose does not list', () => mutate(compose, 'PORT: "4001"', 'PORT: "4002"', 'speed-2'), 'speed-2: \'lamina speed\' listens on PORT 4002, which its ports/expose do not list'],
  ['a container port that is not PORT', () => mutate(compose, '["4000:4000"]', '["4000:4001"]'), 'ports/expose lists 4001, but the process listens on PORT 4000'],
  ['serving not published on 4000', () => mutate(compose, '["4000:4000"]', '["8080:4000"]'), 'a serving service must publish 4000:<its PORT>'],
  ['a speed URL with the wrong port', () => mutate(compose, 'http://speed-2:4001"', 'http://speed-2:4002"'), 'http://speed-2:4002: speed-2 listens on PORT 4001'],
  ['a speed URL naming another service', () => mutate(compose, 'http://speed-2:4001"', 'http://archiver:4001"'), 'http://archiver:4001 names no speed service'],
  ['a speed instance left out of LAMINA_SPEED_URLS', () => mutate(compose, ',http://speed-2:4001"', '"'), 'LAMINA_SPEED_URLS leaves out speed-2'],
  ['serving without LAMINA_SPEED_URLS', () => mutate(compose, '      LAMINA_SPEED_URLS: "http://speed-1:4001,http://speed-2:4001"\n', ''), 'needs LAMINA_SPEED_URLS'],
  ['two speed instances with one name', () => mutate(compose, 'LAMINA_INSTANCE: "speed-2"', 'LAMINA_INSTANCE: "speed-1"'), 'share LAMINA_INSTANCE=speed-1'],
  ['a speed instance without LAMINA_INSTANCE', () => mutate(compose, '      LAMINA_INSTANCE: "speed-1"\n', ''), 'speed-1: set LAMINA_INSTANCE'],
  ['a Kafka image other than the pom pin', () => mutate(compose, 'apache/kafka:3.9.1', 'apache/kafka:3.8.1'), `must be pinned to Kafka ${facts.kafkaVersion}, the version in infra/kafka/pom.xml`],
  ['Kafka on latest', () => mutate(compose, 'apache/kafka:3.9.1', 'apache/kafka:latest'), "pin image 'apache/kafka:latest'"],
  ['MinIO without a tag', () => mutate(compose, 'minio/minio:RELEASE.2025-09-07T16-13-09Z', 'minio/minio'), "minio: pin image 'quay.io/minio/minio'"],
  ['mc on latest', () => mutate(compose, 'minio/mc:RELEASE.2025-08-13T08-35-41Z', 'minio/mc:latest'), 'minio-init: image quay.io/minio/mc:latest must be pinned to a RELEASE'],
  ['Kafka creating topics on first use', () => mutate(compose, 'KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false"', 'KAFKA_AUTO_CREATE_TOPICS_ENABLE: "true"'), 'KAFKA_AUTO_CREATE_TOPICS_ENABLE must be "false"'],
  ['internal topics needing 3 brokers', () => mutate(compose, 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1"', 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "3"'), 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR must be 1'],
  ['Kafka advertising a host other containers cannot reach', () => mutate(compose, '"PLAINTEXT://kafka:9092"', '"PLAINTEXT://localhost:9092"'), "must use the service name 'kafka' as host"],
  ['brokers Kafka does not advertise', () => mutate(compose, 'LAMINA_KAFKA_BROKERS: "kafka:9092"', 'LAMINA_KAFKA_BROKERS: "localhost:9092"'), 'LAMINA_KAFKA_BROKERS has localhost:9092, which kafka does not advertise'],
  ['an S3 endpoint that is not MinIO', () => mutate(compose, '"http://minio:9000"', '"http://minio:9001"'), 'LAMINA_S3_ENDPOINT must be http://minio:9000'],
  ['S3 credentials that are not MinIO\'s', () => mutate(compose, 'AWS_SECRET_ACCESS_KEY: "lamina-secret"', 'AWS_SECRET_ACCESS_KEY: "minio123"'), "AWS_SECRET_ACCESS_KEY are not MinIO's"],
  ['a bucket nobody creates', () => mutate(compose, '"lamina/lamina"', '"lamina/other"'), "no service creates the bucket 'lamina'"],
  ['a Lamina service that skips the entrypoint', () => mutate(compose, '    command: ["archive"]\n', '    command: ["archive"]\n    entrypoint: ["sh"]\n'), 'archiver: must not override the entrypoint'],
  ['a Lamina service built from another Dockerfile', () => mutate(compose, 'dockerfile: Dockerfile', 'dockerfile: Dockerfile.dev'), "must build the repo's Dockerfile"],
  ['Lamina services on different lakes', () => mutate(compose, '      PORT: "4000"\n', '      PORT: "4000"\n      LAMINA_S3_PREFIX: "b/"\n', 'batch'), 'disagree on LAMINA_S3_PREFIX'],
  ['a Lamina service not waiting for the bucket', () => mutate(compose, '      minio-init:', '      minio:', 'batch'), 'batch: must depend on minio-init with condition service_completed_successfully'],
  ['waiting for health that is never reported', () => mutate(compose, '    healthcheck: *lamina-healthcheck\n', '', 'speed-1'), 'depends_on speed-1 is service_healthy but speed-1 has no healthcheck'],
  ['a $ compose would interpolate', () => mutate(compose, '$$status', '$status'), "compose interpolates '$'"],
  ['a misspelt key', () => mutate(compose, '    environment:\n      MINIO_ROOT_USER', '    enviroment:\n      MINIO_ROOT_USER'), "minio: unknown key 'enviroment'"],
  ['an undeclared named volume', () => mutate(compose, '- kafka-data:/var/lib/kafka/data', '- kafkadata:/var/lib/kafka/data'), "volume 'kafkadata' is not declared"],
  ['YAML that does not parse', () => mutate(compose, 'name: lamina\n', 'name: [lamina\n'), 'docker-compose.yml does not parse'],
];

const dockerMutations: Mutation[] = [
  ['npm ci without devDependencies (tsx)', () => mutate(dockerfile, 'RUN npm ci ', 'RUN npm ci --omit=dev '), 'npm ci leaves out devDependencies, but the ENTRYPOINT runs through tsx'],
  ['NODE_ENV=production before npm ci', () => mutate(dockerfile, 'RUN npm ci ', 'ENV NODE_ENV=production\nRUN npm ci '), 'npm ci leaves out devDependencies'],
  ['a workspace manifest missing before npm ci', () => mutate(dockerfile, 'COPY cli/package.json cli/\n', ''), 'cli/package.json must be copied to /app/cli/package.json before npm ci'],
  ['a workspace without its sources', () => mutate(dockerfile, 'COPY speed-layer/src speed-layer/src\n', ''), "(workspace speed-layer's sources)"],
  ['a shell-form ENTRYPOINT', () => mutate(dockerfile, 'ENTRYPOINT ["node", "--import", "tsx", "cli/src/main.ts"]', 'ENTRYPOINT node --import tsx cli/src/main.ts'), 'ENTRYPOINT must be in exec form'],
  ['an ENTRYPOINT running another file', () => mutate(dockerfile, '"cli/src/main.ts"]', '"cli/src/mian.ts"]'), 'ENTRYPOINT must run cli/src/main.ts'],
  ['a default CMD that is not a command', () => mutate(dockerfile, 'CMD ["dev"]', 'CMD ["dve"]'), "CMD: 'lamina dve' is not a lamina command"],
  ['running as root', () => mutate(dockerfile, 'USER node\n', ''), 'non-root USER'],
  ['node without a minor pin', () => mutate(dockerfile, 'FROM node:24.21-bookworm-slim', 'FROM node:24-bookworm-slim'), 'pin node <major>.<minor> at or above 22.15'],
  ['node older than engines', () => mutate(dockerfile, 'FROM node:24.21-bookworm-slim', 'FROM node:20.20-bookworm-slim'), 'pin node <major>.<minor> at or above 22.15'],
  ['node:latest', () => mutate(dockerfile, 'FROM node:24.21-bookworm-slim', 'FROM node:latest'), 'use the official node image with a pinned tag'],
  ['a misspelt env var', () => mutate(dockerfile, 'ENV LAMINA_DATA_DIR=/data', 'ENV LAMINA_DATADIR=/data'), 'ENV LAMINA_DATADIR: cli/src/runtime-options.ts does not read it'],
  ['a data volume the user cannot write', () => mutate(dockerfile, 'RUN mkdir /data && chown node:node /data\n', ''), 'chown /data to the USER'],
  ['not exposing the default port', () => mutate(dockerfile, 'EXPOSE 4000', 'EXPOSE 4001'), 'EXPOSE 4000'],
];

const ignoreMutations: Mutation[] = [
  ['.dockerignore excluding sources', () => `${ignore}cli\n`, 'cli/src/main.ts must be copied to /app/cli/src/main.ts for the ENTRYPOINT (.dockerignore excludes it)'],
  ['.dockerignore letting node_modules in', () => mutate(ignore, '**/node_modules\n', ''), ".dockerignore must exclude '**/node_modules'"],
];

// All checks start together, so their CLI probes share one child process (see lamina-facts.ts).
let results: Promise<Map<string, string[]>> | undefined;
function resultsOf(what: string): Promise<string[]> {
  results ??= (async () => {
    const runs: [string, Promise<string[]>][] = [
      ['compose', checkCompose(compose, facts)],
      ['dockerfile', checkDockerfile(dockerfile, ignore, facts)],
      ...composeMutations.map(([name, broken]): [string, Promise<string[]>] => [name, checkCompose(broken(), facts)]),
      ...dockerMutations.map(([name, broken]): [string, Promise<string[]>] => [name, checkDockerfile(broken(), ignore, facts)]),
      ...ignoreMutations.map(([name, broken]): [string, Promise<string[]>] => [name, checkDockerfile(dockerfile, broken(), facts)]),
    ];
    return new Map(await Promise.all(runs.map(async ([name, run]) => [name, await run] as const)));
  })();
  return results.then((map) => map.get(what)!);
}

describe('what the packaging is checked against', () => {
  test('the env vars come from cli/src/runtime-options.ts, and the regex finds them', () => {
    for (const name of ['LAMINA_KAFKA_BROKERS', 'LAMINA_S3_BUCKET', 'PORT', 'LAMINA_SPEED_URLS', 'LAMINA_INSTANCE', 'LAMINA_DATA_DIR', 'AWS_REGION']) assert.ok(facts.envVars.has(name), name);
    for (const name of SHARED_SETTINGS) assert.ok(facts.envVars.has(name), `shared setting ${name} is no longer read`);
    assert.deepEqual([...envVarsRead("x = env.A_B ?? env['C'] ?? env.lower ?? process.env.D; environment.E")].sort(), ['A_B', 'C', 'D']);
  });

  test('the Kafka pin comes from infra/kafka/pom.xml', () => assert.match(facts.kafkaVersion, /^\d+\.\d+\.\d+$/));

  test('the command probe accepts real commands and rejects everything else', async () => {
    const verdicts = await Promise.all(
      [['batch', 'run'], ['dev', '--no-schedule'], ['bogus'], ['batch'], ['batch', 'bogus'], ['archive', 'extra'], ['dev', '--bogus'], ['--bogus', 'dev']].map(async (words) => [words.join(' '), (await facts.probeCommand(words)).problem === undefined] as const),
    );
    // `lamina bogus --help` exits 0 (commander prints the root help), hence the Usage-line verdict.
    assert.deepEqual(Object.fromEntries(verdicts), { 'batch run': true, 'dev --no-schedule': true, bogus: false, batch: false, 'batch bogus': false, 'archive extra': false, 'dev --bogus': false, '--bogus dev': false });
  });
});

describe('docker-compose.yml', () => {
  test('agrees with the CLI, the env vars it reads, the Dockerfile and the Kafka pin', async () => {
    assert.deepEqual(await resultsOf('compose'), []);
  });

  test('runs Kafka, MinIO and its bucket job, the archiver, the batch scheduler, two speed instances and serving (and, on demand, Prometheus and Grafana)', () => {
    const services = (parseYaml(compose) as { services: Record<string, { command?: string[] }> }).services;
    const commands = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.command?.join(' ') ?? null]));
    assert.deepEqual(commands, { kafka: null, minio: 'server /data', 'minio-init': 'mb --ignore-existing lamina/lamina', archiver: 'archive', batch: 'batch schedule', 'speed-1': 'speed', 'speed-2': 'speed', serving: 'serve', prometheus: null, grafana: null });
  });

  for (const [what, , reported] of composeMutations) {
    test(`reports ${what}`, async () => {
      const problems = await resultsOf(what);
      assert.ok(problems.some((p) => p.includes(reported)), `expected a problem containing "${reported}", got:\n${problems.join('\n')}`);
    });
  }
});

describe('Dockerfile and .dockerignore', () => {
  test('agree with the workspaces, the lockfile install, the CLI and the runtime options', async () => {
    assert.deepEqual(await resultsOf('dockerfile'), []);
  });

  for (const [what, , reported] of [...dockerMutations, ...ignoreMutations]) {
    test(`reports ${what}`, async () => {
      const problems = await resultsOf(what);
      assert.ok(problems.some((p) => p.includes(reported)), `expected a problem containing "${reported}", got:\n${problems.join('\n')}`);
    });
  }

  test('.dockerignore rules follow Docker: parents exclude children, ** spans directories, ! re-includes, last match wins', () => {
    const ignored = dockerignore('**/node_modules\ndata\nlogs/*.log\n!logs/keep.log\n');
    const cases = { 'node_modules/x': true, 'a/b/node_modules/c': true, 'data/lake/x': true, 'shared/data/x': false, 'logs/a.log': true, 'logs/keep.log': false, 'logs/a/b.log': false, 'shared/src/x.ts': false };
    assert.deepEqual(Object.fromEntries(Object.keys(cases).map((p) => [p, ignored(p)])), cases);
  });
});
