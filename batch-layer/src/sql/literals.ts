/** SQL literals and identifiers: the only place values from the config enter SQL text. */
import type { FieldType } from '@lamina/shared';
import type { SqlDialect } from './dialect.js';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function stringLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A config value (filter value, default) as a literal of the field's type. */
export function literalOf(dialect: SqlDialect, type: FieldType, value: string | number | boolean): string {
  switch (type) {
    case 'string':
      return stringLiteral(String(value));
    case 'integer':
      return `CAST(${BigInt(value as number).toString()} AS ${dialect.type('BIGINT')})`;
    case 'number':
      return dialect.double(Number(value));
    case 'boolean':
      return value ? 'TRUE' : 'FALSE';
    case 'timestamp':
      // Views never read timestamp fields (config validation keeps them out of measures, dimensions and filters).
      throw new Error('timestamp fields have no view literal');
  }
}
