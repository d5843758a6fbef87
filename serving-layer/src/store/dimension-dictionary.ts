/**
 * Interns the values of one dimension of one view as small integers, shared by every loaded chunk of
 * every grain and generation: a scan then groups and filters on numbers, not strings. It only grows
 * with the dimension's cardinality (the number of distinct values the data has).
 */
export class DimensionDictionary {
  private readonly ids = new Map<string, number>();
  private readonly values: string[] = [];

  /** -1 stands for null (a missing value). */
  idOf(value: string | null): number {
    if (value === null) return -1;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  valueOf(id: number): string | null {
    return id < 0 ? null : this.values[id]!;
  }

  get size(): number {
    return this.values.length;
  }
}

/** The dictionaries of every view's dimensions, by view name and dimension path. */
export class Dictionaries {
  private readonly byDimension = new Map<string, DimensionDictionary>();

  of(view: string, dimension: string): DimensionDictionary {
    const key = `${view}\u0000${dimension}`;
    let d = this.byDimension.get(key);
    if (!d) this.byDimension.set(key, (d = new DimensionDictionary()));
    return d;
  }
}
