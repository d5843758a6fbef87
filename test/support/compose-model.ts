/**
 * docker-compose.yml read into plain, typed services (after YAML anchors and merges), keeping the
 * short and long syntaxes compose accepts apart from the checks. Shape errors become problems.
 */
import { isYamlMap, parseYaml, YamlParseError, type YamlMap, type YamlValue } from './yaml-file.js';

export interface PortMapping {
  container: number;
  /** The host port, when the port is published. */
  published: number | undefined;
}

export interface ComposeService {
  name: string;
  raw: YamlMap;
  image: string | undefined;
  build: { context: string; dockerfile: string } | undefined;
  command: string[] | undefined;
  environment: Record<string, string>;
  ports: PortMapping[];
  /** depends_on target -> condition. */
  dependsOn: Map<string, string>;
  healthcheck: YamlMap | undefined;
  volumes: { source: string; target: string }[];
}

export interface ComposeModel {
  doc: YamlMap;
  services: ComposeService[];
  namedVolumes: Set<string>;
  problems: string[];
}

export function readCompose(text: string): ComposeModel | { problems: string[] } {
  let doc: YamlValue;
  try {
    doc = parseYaml(text);
  } catch (error) {
    if (error instanceof YamlParseError) return { problems: [`docker-compose.yml does not parse: ${error.message}`] };
    throw error;
  }
  if (!isYamlMap(doc) || !isYamlMap(doc.services)) return { problems: ['docker-compose.yml has no services mapping'] };
  const problems: string[] = [];
  const services = Object.entries(doc.services).map(([name, raw]) => {
    if (!isYamlMap(raw)) {
      problems.push(`service ${name} is not a mapping`);
      return readService(name, {}, problems);
    }
    return readService(name, raw, problems);
  });
  const namedVolumes = new Set(isYamlMap(doc.volumes) ? Object.keys(doc.volumes) : []);
  return { doc, services, namedVolumes, problems };
}

function readService(name: string, raw: YamlMap, problems: string[]): ComposeService {
  const where = `service ${name}`;
  return {
    name,
    raw,
    image: typeof raw.image === 'string' ? raw.image : undefined,
    build: readBuild(raw.build, where, problems),
    command: readCommand(raw.command, `${where}: command`, problems),
    environment: readEnvironment(raw.environment, where, problems),
    ports: [...readPorts(raw.ports, true, where, problems), ...readPorts(raw.expose, false, where, problems)],
    dependsOn: readDependsOn(raw.depends_on, where, problems),
    healthcheck: isYamlMap(raw.healthcheck) ? raw.healthcheck : undefined,
    volumes: readVolumes(raw.volumes, where, problems),
  };
}

function readBuild(value: YamlValue | undefined, where: string, problems: string[]): ComposeService['build'] {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return { context: value, dockerfile: 'Dockerfile' };
  if (isYamlMap(value) && typeof value.context === 'string') {
    return { context: value.context, dockerfile: typeof value.dockerfile === 'string' ? value.dockerfile : 'Dockerfile' };
  }
  problems.push(`${where}: build must be a path or a mapping with a context`);
  return undefined;
}

/** Exec form only: compose splits a string command with shell rules, which hides mistakes. */
export function readCommand(value: YamlValue | undefined, where: string, problems: string[]): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  problems.push(`${where} must be a list of strings (exec form), got ${JSON.stringify(value)}`);
  return undefined;
}

function readEnvironment(value: YamlValue | undefined, where: string, problems: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  if (value === undefined || value === null) return env;
  const entries: [string, YamlValue][] = Array.isArray(value)
    ? value.map((item) => {
        const text = typeof item === 'string' ? item : '';
        const eq = text.indexOf('=');
        return eq > 0 ? [text.slice(0, eq), text.slice(eq + 1)] : [text, null];
      })
    : isYamlMap(value)
      ? Object.entries(value)
      : [];
  if (!Array.isArray(value) && !isYamlMap(value)) problems.push(`${where}: environment must be a mapping or a list`);
  for (const [key, v] of entries) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') env[key] = String(v);
    else problems.push(`${where}: environment ${key || '(entry)'} needs a string value (null passes the host's value through, or nothing)`);
  }
  return env;
}

function readPorts(value: YamlValue | undefined, publishable: boolean, where: string, problems: string[]): PortMapping[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push(`${where}: ${publishable ? 'ports' : 'expose'} must be a list`);
    return [];
  }
  return value.flatMap((item): PortMapping[] => {
    if (isYamlMap(item) && publishable && typeof item.target === 'number') {
      return [{ container: item.target, published: item.published === undefined ? undefined : Number(item.published) }];
    }
    const text = typeof item === 'string' || typeof item === 'number' ? String(item).replace(/\/(tcp|udp)$/, '') : '';
    const parts = text.split(':');
    const numbers = parts.slice(-2).map(Number);
    if (text === '' || !numbers.every((n) => Number.isInteger(n) && n > 0 && n < 65536) || (!publishable && parts.length > 1)) {
      problems.push(`${where}: cannot read port ${JSON.stringify(item)} (write "HOST:CONTAINER" or "CONTAINER")`);
      return [];
    }
    return [{ container: numbers[numbers.length - 1]!, published: parts.length > 1 ? numbers[0] : undefined }];
  });
}

function readDependsOn(value: YamlValue | undefined, where: string, problems: string[]): Map<string, string> {
  const deps = new Map<string, string>();
  if (Array.isArray(value)) for (const name of value) deps.set(String(name), 'service_started');
  else if (isYamlMap(value)) {
    for (const [name, spec] of Object.entries(value)) deps.set(name, isYamlMap(spec) && typeof spec.condition === 'string' ? spec.condition : 'service_started');
  } else if (value !== undefined) problems.push(`${where}: depends_on must be a list or a mapping`);
  return deps;
}

function readVolumes(value: YamlValue | undefined, where: string, problems: string[]): ComposeService['volumes'] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${where}: volumes must be a list`);
    return [];
  }
  return value.flatMap((item) => {
    if (isYamlMap(item) && typeof item.target === 'string') return [{ source: String(item.source ?? ''), target: item.target }];
    const [source, target] = typeof item === 'string' ? item.split(':') : [];
    if (source === undefined || target === undefined) {
      problems.push(`${where}: cannot read volume ${JSON.stringify(item)} (write "SOURCE:TARGET")`);
      return [];
    }
    return [{ source, target }];
  });
}

/** Every string anywhere below a value, with its path, for checks such as `$` interpolation. */
export function* stringsIn(value: YamlValue | undefined, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* stringsIn(item, `${path}[${i}]`);
  else if (isYamlMap(value)) for (const [key, item] of Object.entries(value)) yield* stringsIn(item, `${path}.${key}`);
}
