import { ConfigError } from '../errors.js';
import { parseTimestamp } from '../events/event-validator.js';
import { fieldPathProblem, columnOf } from '../events/field-paths.js';
import { graphqlNameClashes } from './graphql-names.js';
import { IDENTIFIER, laminaConfigSchema, type FieldConfig, type FieldType, type LaminaConfig, type LaminaConfigInput, type MeasureConfig } from './schema.js';

/** Identity helper so a `lamina.config.ts` gets type checking and completion. */
export function defineConfig(config: LaminaConfigInput): LaminaConfigInput {
  return config;
}

/** Columns every view table has besides its dimensions and measure states (see view-table.ts). */
const VIEW_TABLE_COLUMNS = new Set(['bucket_ms']);

/** Field types each measure can read, and why the others cannot be. */
const MEASURE_INPUTS: Record<MeasureConfig['kind'], { types: FieldType[]; why: string } | undefined> = {
  count: undefined,
  sum: { types: ['number', 'integer'], why: 'it adds numbers' },
  min: { types: ['number', 'integer'], why: 'it compares numbers' },
  max: { types: ['number', 'integer'], why: 'it compares numbers' },
  avg: { types: ['number', 'integer'], why: 'it averages numbers' },
  quantile: { types: ['number', 'integer'], why: 'it sketches numbers' },
  // Fractions have no text every engine prints alike, so their hashes would differ between engines.
  distinct: { types: ['string', 'integer', 'boolean'], why: 'it hashes the value as text, which fractional numbers and timestamps do not have portably' },
};
const DIMENSION_TYPES: FieldType[] = ['string', 'integer', 'boolean'];

function literalProblem(type: FieldType, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a finite number';
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : 'must be a safe integer';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'timestamp':
      // The validator's own parse: a default it could not read would silently fill nothing.
      return typeof value === 'string' && parseTimestamp(value) !== undefined ? undefined : 'must be an ISO-8601 date-time string with a zone, from 1970 on';
  }
}

/**
 * Parses the raw config and checks what a schema alone cannot: names, that views name declared event
 * types and fields of fitting types in every source type, and that defaults match their fields.
 */
export function validateConfig(raw: unknown, origin = 'config'): LaminaConfig {
  const parsed = laminaConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`${origin} is invalid:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  const problems: string[] = [];
  const checkName = (path: string, name: string) => {
    if (!IDENTIFIER.test(name)) problems.push(`${path}: '${name}' must use letters, digits and _ only, not starting with a digit (it becomes a GraphQL name)`);
    else if (name.startsWith('_') || name.includes('__')) problems.push(`${path}: '${name}' must not start with '_' or contain '__' (reserved for Lamina's own columns)`);
  };

  for (const [typeName, type] of Object.entries(config.eventTypes)) {
    checkName('eventTypes', typeName);
    const paths = Object.keys(type.fields);
    for (const [path, field] of Object.entries(type.fields)) {
      const where = `eventTypes.${typeName}.fields.${path}`;
      const problem = fieldPathProblem(path);
      if (problem) problems.push(`${where}: ${problem}`);
      const parent = paths.find((other) => path.startsWith(`${other}.`));
      if (parent) problems.push(`${where}: '${parent}' is declared as a ${type.fields[parent]!.type}, so it cannot also hold nested fields`);
      if ((field.min !== undefined || field.max !== undefined) && field.type !== 'number' && field.type !== 'integer') {
        problems.push(`${where}: min and max bound number and integer fields; '${path}' is a ${field.type}`);
      }
      if (field.min !== undefined && field.max !== undefined && field.min > field.max) problems.push(`${where}: min (${field.min}) is above max (${field.max})`);
      if (field.default !== undefined) {
        if (!field.optional) problems.push(`${where}.default: only an optional field can have a default (add optional: true, or remove the default)`);
        const wrong = literalProblem(field.type, field.default);
        if (wrong) problems.push(`${where}.default: ${wrong} (the field is a ${field.type})`);
      }
    }
    if (type.keyField !== undefined && !(type.keyField in type.fields)) problems.push(`eventTypes.${typeName}.keyField: '${type.keyField}' is not one of its fields (${paths.join(', ')})`);
  }

  for (const [viewName, view] of Object.entries(config.views)) {
    checkName('views', viewName);
    for (const measure of Object.keys(view.measures)) checkName(`views.${viewName}.measures`, measure);
    const sources = Array.isArray(view.source) ? view.source : [view.source];
    const declared = sources.filter((source) => {
      if (config.eventTypes[source]) return true;
      problems.push(`views.${viewName}.source: event type '${source}' is not declared in eventTypes (declared: ${Object.keys(config.eventTypes).join(', ')})`);
      return false;
    });
    /** The field's type in every source, or undefined (with a problem recorded) when it differs or is missing. */
    const typeOf = (where: string, path: string): FieldType | undefined => {
      const types = new Set<FieldType>();
      for (const source of declared) {
        const field: FieldConfig | undefined = config.eventTypes[source]!.fields[path];
        if (!field) {
          problems.push(`views.${viewName}.${where}: field '${path}' is not a field of event type '${source}' (fields: ${Object.keys(config.eventTypes[source]!.fields).join(', ')})`);
          return undefined;
        }
        types.add(field.type);
      }
      if (types.size > 1) {
        problems.push(`views.${viewName}.${where}: field '${path}' has different types in the sources (${[...types].join(', ')}); a view reads one type`);
        return undefined;
      }
      return [...types][0];
    };
    const columns = new Map<string, string>();
    const claim = (column: string, what: string) => {
      const other = columns.get(column.toLowerCase()) ?? (VIEW_TABLE_COLUMNS.has(column) ? 'a column of every view table' : undefined);
      if (other) problems.push(`views.${viewName}: ${what} clashes with ${other} (names must differ, ignoring case)`);
      columns.set(column.toLowerCase(), what);
    };
    view.dimensions.forEach((d, i) => {
      const type = typeOf(`dimensions.${i}`, d);
      if (type && !DIMENSION_TYPES.includes(type)) problems.push(`views.${viewName}.dimensions.${i}: '${d}' is a ${type}; dimensions must be ${DIMENSION_TYPES.join(', ')} fields (their values become group keys)`);
      claim(columnOf(d), `dimension '${d}'`);
    });
    for (const [m, spec] of Object.entries(view.measures)) {
      claim(m, `measure '${m}'`);
      if (!('field' in spec)) continue;
      const type = typeOf(`measures.${m}.field`, spec.field);
      const inputs = MEASURE_INPUTS[spec.kind];
      if (type && inputs && !inputs.types.includes(type)) {
        problems.push(`views.${viewName}.measures.${m}: ${spec.kind} cannot read '${spec.field}', a ${type} field: ${inputs.why}; use a ${inputs.types.join(' or ')} field`);
      }
    }
    if (view.filter) {
      const type = typeOf('filter.field', view.filter.field);
      if (type === 'timestamp') problems.push(`views.${viewName}.filter: '${view.filter.field}' is a timestamp; filter on a string, number, integer or boolean field`);
      const values = view.filter.in ?? (view.filter.equals === undefined ? [] : [view.filter.equals]);
      if (values.length === 0) problems.push(`views.${viewName}.filter: give 'equals' or a non-empty 'in'`);
      if (type && type !== 'timestamp') for (const v of values) {
        const wrong = literalProblem(type, v);
        if (wrong) problems.push(`views.${viewName}.filter: ${JSON.stringify(v)} ${wrong} (field '${view.filter.field}' is a ${type})`);
      }
    }
  }
  problems.push(...graphqlNameClashes(config));
  problems.push(...gateProblems(config));
  if (problems.length > 0) throw new ConfigError(`${origin} is inconsistent:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return config;
}

/** Declared quality gates name event types and fields that exist, of a type the check can read. */
function gateProblems(config: LaminaConfig): string[] {
  const problems: string[] = [];
  const types = Object.keys(config.eventTypes);
  for (const [name, gate] of Object.entries(config.batch.quality.gates)) {
    const where = `batch.quality.gates.${name}`;
    if (!IDENTIFIER.test(name)) problems.push(`${where}: '${name}' must use letters, digits and _ only (it names the gate in the run history and metrics)`);
    const typeKnown = (type: string | undefined, path: string): boolean => {
      if (type === undefined || config.eventTypes[type]) return true;
      problems.push(`${where}.${path}: event type '${type}' is not declared in eventTypes (declared: ${types.join(', ')})`);
      return false;
    };
    const fieldOf = (type: string, field: string, path: string): FieldConfig | undefined => {
      const found = config.eventTypes[type]!.fields[field];
      if (!found) problems.push(`${where}.${path}: '${field}' is not a field of event type '${type}' (fields: ${Object.keys(config.eventTypes[type]!.fields).join(', ')})`);
      return found;
    };
    if (!typeKnown(gate.type, 'type')) continue;
    if (gate.check === 'volume' && gate.maxRatio !== undefined && gate.maxRatio < gate.minRatio) problems.push(`${where}: maxRatio (${gate.maxRatio}) is below minRatio (${gate.minRatio})`);
    if (gate.check === 'uniqueness' && config.deduplication.window === 'off') {
      problems.push(`${where}: uniqueness counts the copies deduplication finds; set deduplication.window to 'day' or 'hour' (it is 'off')`);
    }
    if (gate.check === 'distribution') {
      const field = fieldOf(gate.type, gate.field, 'field');
      if (field && field.type !== 'number' && field.type !== 'integer') problems.push(`${where}.field: '${gate.field}' is a ${field.type}; a distribution compares means of a number or integer field`);
    }
    if (gate.check === 'referential') {
      const field = fieldOf(gate.type, gate.field, 'field');
      if (typeKnown(gate.references.type, 'references.type')) {
        const referenced = fieldOf(gate.references.type, gate.references.field, 'references.field');
        if (field && referenced && field.type !== referenced.type) problems.push(`${where}: '${gate.type}.${gate.field}' is a ${field.type} but '${gate.references.type}.${gate.references.field}' is a ${referenced.type}; they never compare equal`);
      }
    }
  }
  return problems;
}
