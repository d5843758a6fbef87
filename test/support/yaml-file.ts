/** YAML for the compose checker: the `yaml` library, with `<<` merge keys as docker compose reads them. */
import { parse } from 'yaml';

export type YamlValue = null | boolean | number | string | YamlValue[] | YamlMap;
export interface YamlMap {
  [key: string]: YamlValue;
}

export class YamlParseError extends Error {}

export function parseYaml(source: string): YamlValue {
  try {
    return parse(source, { merge: true }) as YamlValue;
  } catch (error) {
    throw new YamlParseError((error as Error).message);
  }
}

export function isYamlMap(value: YamlValue | undefined): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
