import { ConfigError } from '../errors.js';
import { IDENTIFIER, laminaConfigSchema, type LaminaConfig, type LaminaConfigInput } from './schema.js';

/** Identity helper so a `lamina.config.ts` gets type checking and completion. */
export function defineConfig(config: LaminaConfigInput): LaminaConfigInput {
  return config;
}

/**
 * Parses the raw config and checks what a schema alone cannot: that views name declared event
 * types and that measures and dimensions name declared fields of every source type.
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
  };
  for (const [typeName, type] of Object.entries(config.eventTypes)) {
    checkName('eventTypes', typeName);
    for (const field of Object.keys(type.fields)) checkName(`eventTypes.${typeName}.fields`, field);
  }
  for (const [viewName, view] of Object.entries(config.views)) {
    checkName('views', viewName);
    for (const measure of Object.keys(view.measures)) checkName(`views.${viewName}.measures`, measure);
  }
  for (const [viewName, view] of Object.entries(config.views)) {
    const sources = Array.isArray(view.source) ? view.source : [view.source];
    for (const source of sources) {
      const type = config.eventTypes[source];
      if (!type) {
        problems.push(`views.${viewName}.source: event type '${source}' is not declared in eventTypes (declared: ${Object.keys(config.eventTypes).join(', ')})`);
        continue;
      }
      const known = (path: string) => path.split('.')[0]! in type.fields;
      const check = (where: string, path: string) => {
        if (!known(path)) problems.push(`views.${viewName}.${where}: field '${path}' is not a field of event type '${source}' (fields: ${Object.keys(type.fields).join(', ')})`);
      };
      view.dimensions.forEach((d, i) => check(`dimensions.${i}`, d));
      for (const [m, spec] of Object.entries(view.measures)) if ('field' in spec) check(`measures.${m}.field`, spec.field);
      if (view.filter) check('filter.field', view.filter.field);
    }
    const dims = new Set<string>();
    for (const d of view.dimensions) {
      if (dims.has(d)) problems.push(`views.${viewName}.dimensions: '${d}' is listed twice`);
      dims.add(d);
    }
    for (const m of Object.keys(view.measures)) {
      if (dims.has(m)) problems.push(`views.${viewName}.measures.${m}: a measure cannot share its name with a dimension`);
    }
  }
  for (const [typeName, type] of Object.entries(config.eventTypes)) {
    if (type.keyField && !(type.keyField in type.fields)) problems.push(`eventTypes.${typeName}.keyField: '${type.keyField}' is not one of its fields`);
  }
  if (problems.length > 0) throw new ConfigError(`${origin} is inconsistent:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return config;
}

