/**
 * The quality gates a config declares (`batch.quality.gates`), evaluated on the facts of a run's new
 * events against bounds and against the recent published runs of the history. Pure: the facts are
 * gathered by the check step (check-facts.ts); each gate gives one result per event type it checks.
 */
import { arrowTypeOfField, columnOf, deltaTypeOf, type LaminaConfig, type MissingReferences, type QualityGate, type QualityResult, type RunRecord, type TypeFacts } from '@lamina/shared';
import * as arrow from 'apache-arrow';

export interface DeclaredGateInputs {
  config: LaminaConfig;
  /** This run's new events, per event type. */
  facts: Record<string, TypeFacts>;
  /** Recent runs that published, newest first. */
  recent: readonly RunRecord[];
  /** Each raw table's columns (name -> Delta type), per event type. */
  columns: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Referential gates' findings, by gate name. */
  references: ReadonlyMap<string, MissingReferences>;
  now: number;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function evaluateDeclaredGates(inputs: DeclaredGateInputs): QualityResult[] {
  const { config } = inputs;
  const results: QualityResult[] = [];
  for (const [name, gate] of Object.entries(config.batch.quality.gates)) {
    const types = gate.type !== undefined ? [gate.type] : Object.keys(config.eventTypes);
    for (const type of types) {
      const gateName = gate.type === undefined && types.length > 1 ? `${name}.${type}` : name;
      const verdict = evaluate(gate, type, name, inputs);
      results.push({ gate: gateName, check: gate.check, severity: gate.severity, ...verdict });
    }
  }
  return results;
}

function evaluate(gate: QualityGate, type: string, name: string, inputs: DeclaredGateInputs): Pick<QualityResult, 'passed' | 'detail' | 'value'> {
  const facts = inputs.facts[type] ?? { rows: 0, duplicates: 0, maxEventTime: null };
  const history = (n: number) => inputs.recent.slice(0, n).map((r) => r.facts[type]).filter((f): f is TypeFacts => f !== undefined);
  switch (gate.check) {
    case 'freshness': {
      const newest = Math.max(facts.maxEventTime ?? -Infinity, ...inputs.recent.map((r) => r.facts[type]?.maxEventTime ?? -Infinity));
      if (newest === -Infinity) return { passed: false, detail: `no ${type} event in this run or the recent ones`, value: null };
      const ageMinutes = (inputs.now - newest) / 60_000;
      return { passed: ageMinutes <= gate.maxAgeMinutes, detail: `newest ${type} event is ${ageMinutes.toFixed(1)} min old (at most ${gate.maxAgeMinutes})`, value: ageMinutes };
    }
    case 'volume': {
      const reference = median(history(gate.recentRuns).map((f) => f.rows));
      if (reference === undefined) return { passed: true, detail: `${facts.rows} new ${type} events; no earlier run to compare with yet`, value: null };
      const ratio = reference === 0 ? (facts.rows === 0 ? 1 : Infinity) : facts.rows / reference;
      const passed = ratio >= gate.minRatio && (gate.maxRatio === undefined || ratio <= gate.maxRatio);
      const bounds = `[${gate.minRatio}, ${gate.maxRatio ?? '∞'}]`;
      return { passed, detail: `${facts.rows} new ${type} events, ${Number.isFinite(ratio) ? ratio.toFixed(2) : '∞'}× the median ${reference} of the last ${Math.min(gate.recentRuns, inputs.recent.length)} runs (allowed ${bounds})`, value: Number.isFinite(ratio) ? ratio : null };
    }
    case 'uniqueness': {
      const ratio = facts.rows === 0 ? 0 : facts.duplicates / facts.rows;
      return { passed: ratio <= gate.maxDuplicateRatio, detail: `${facts.duplicates} of ${facts.rows} new ${type} events repeat an event id (${pct(ratio)}, at most ${pct(gate.maxDuplicateRatio)})`, value: ratio };
    }
    case 'distribution': {
      const column = columnOf(gate.field);
      const mean = facts.fields?.[column]?.mean ?? null;
      const reference = median(history(gate.recentRuns).flatMap((f) => (f.fields?.[column]?.mean ?? null) === null ? [] : [f.fields![column]!.mean!]));
      if (mean === null) return { passed: true, detail: `no ${type}.${gate.field} value among the new events`, value: null };
      if (reference === undefined) return { passed: true, detail: `mean ${type}.${gate.field} ${mean.toFixed(3)}; no earlier run to compare with yet`, value: null };
      const change = reference === 0 ? (mean === 0 ? 0 : Infinity) : Math.abs(mean - reference) / Math.abs(reference);
      return {
        passed: change <= gate.maxChange,
        detail: `mean ${type}.${gate.field} ${mean.toFixed(3)} vs the recent median ${reference.toFixed(3)}: ${Number.isFinite(change) ? pct(change) : '∞'} change (at most ${pct(gate.maxChange)})`,
        value: Number.isFinite(change) ? change : null,
      };
    }
    case 'schema': {
      const problems: string[] = [];
      const columns = inputs.columns.get(type) ?? new Map<string, string>();
      let worst = 0;
      for (const [path, field] of Object.entries(inputs.config.eventTypes[type]!.fields)) {
        const column = columnOf(path);
        const expected = deltaTypeOf(new arrow.Field(column, arrowTypeOfField(field.type), true));
        const actual = columns.get(column);
        if (actual === undefined) problems.push(`'${path}' has no column in the lake yet`);
        else if (actual !== expected) problems.push(`'${path}' is ${actual} in the lake, ${expected} in the config`);
        if (facts.rows === 0) continue;
        const nulls = (facts.fields?.[column]?.nulls ?? 0) / facts.rows;
        const before = median(history(gate.recentRuns).filter((f) => f.rows > 0 && f.fields?.[column] !== undefined).map((f) => f.fields![column]!.nulls / f.rows)) ?? 0;
        worst = Math.max(worst, nulls - before);
        if (nulls - before > gate.maxNullIncrease) problems.push(`'${path}' is missing in ${pct(nulls)} of the new events (recent median ${pct(before)}, at most +${pct(gate.maxNullIncrease)})`);
      }
      return { passed: problems.length === 0, detail: problems.length === 0 ? `${type}: every declared field in the lake with its type; missing values steady` : `${type}: ${problems.join('; ')}`, value: worst };
    }
    case 'referential': {
      const found = inputs.references.get(name) ?? { checked: 0, missing: 0, examples: [] };
      const ratio = found.checked === 0 ? 0 : found.missing / found.checked;
      const examples = found.examples.length > 0 ? ` (e.g. ${found.examples.map((e) => JSON.stringify(e)).join(', ')})` : '';
      return {
        passed: ratio <= gate.maxMissingRatio,
        detail: `${found.missing} of ${found.checked} new ${gate.type} events have a ${gate.field} no ${gate.references.type} event has as ${gate.references.field}${examples} (${pct(ratio)}, at most ${pct(gate.maxMissingRatio)})`,
        value: ratio,
      };
    }
  }
}
