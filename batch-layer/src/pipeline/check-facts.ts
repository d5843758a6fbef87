/**
 * Stage 4a: the facts the declared quality gates read — per event type, the run's new events (rows,
 * copies, newest event time, missing values and means of the declared fields), the lake's columns,
 * and the referential gates' unmatched values. With no gate declared it reads nothing more than
 * the compute stage did.
 */
import { columnOf, type BatchEngine, type LaminaConfig, type MissingReferences, type TypeFacts } from '@lamina/shared';
import type { RunPlan } from './run-plan.js';
import type { LakeSnapshot } from './lake-snapshot.js';
import type { StagedFiles } from './staged-files.js';
import type { RawCount } from './compute-views.js';
import { rawInput } from './compute-views.js';
import { filesTouching } from './file-selection.js';

export interface CheckFacts {
  facts: Record<string, TypeFacts>;
  columns: Map<string, Map<string, string>>;
  references: Map<string, MissingReferences>;
}

export async function gatherCheckFacts(engine: BatchEngine, config: LaminaConfig, plan: RunPlan, snapshot: LakeSnapshot, staged: StagedFiles, counts: readonly RawCount[]): Promise<CheckFacts> {
  const gates = Object.entries(config.batch.quality.gates);
  const facts: Record<string, TypeFacts> = {};
  const columns = new Map<string, Map<string, string>>();
  const references = new Map<string, MissingReferences>();
  for (const type of Object.keys(config.eventTypes)) {
    const count = counts.find((c) => c.type === type);
    facts[type] = { rows: count?.rows ?? 0, duplicates: count?.duplicates ?? 0, maxEventTime: null };
    const raw = snapshot.raw.get(type);
    if (!raw) continue;
    columns.set(type, new Map(raw.fields.filter((f) => !raw.partitionColumns.includes(f.name)).map((f) => [f.name, f.type as string])));
    if (gates.length === 0) continue;
    const input = await rawInput(type, raw, filesTouching(raw.files, plan.window), staged);
    const declared = Object.entries(config.eventTypes[type]!.fields)
      .map(([path, field]) => ({ name: columnOf(path), numeric: field.type === 'number' || field.type === 'integer' }))
      .filter((c) => input.columns.has(c.name));
    const profile = await engine.profileRaw(input, plan.window, { columns: declared });
    facts[type] = { ...facts[type]!, maxEventTime: profile.maxEventTime, fields: profile.columns };
  }
  for (const [name, gate] of gates) {
    if (gate.check !== 'referential') continue;
    const raw = snapshot.raw.get(gate.type);
    const referenced = snapshot.raw.get(gate.references.type);
    if (!raw) {
      references.set(name, { checked: 0, missing: 0, examples: [] });
      continue;
    }
    const input = await rawInput(gate.type, raw, filesTouching(raw.files, plan.window), staged);
    // Referenced values of any time: every file of the generation's coverage.
    const keys = referenced ? await rawInput(gate.references.type, referenced, filesTouching(referenced.files, plan.coverage), staged) : { eventType: gate.references.type, files: [], columns: new Map([[columnOf(gate.references.field), 'string']]) };
    references.set(name, await engine.missingReferences(input, plan.window, columnOf(gate.field), keys, columnOf(gate.references.field)));
  }
  return { facts, columns, references };
}
