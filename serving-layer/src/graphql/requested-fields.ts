/**
 * The fields a GraphQL request selects on a view's rows (through fragments too), so the query merges
 * only the measures the client asked for: a dashboard tile that shows counts never pays for sketches.
 */
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

function collect(set: SelectionSetNode | undefined, info: GraphQLResolveInfo, into: Set<string>, under?: string): void {
  if (!set) return;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (under === undefined) into.add(selection.name.value);
      else if (selection.name.value === under) collect(selection.selectionSet, info, into);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collect(selection.selectionSet, info, into, under);
    } else {
      collect(info.fragments[selection.name.value]?.selectionSet, info, into, under);
    }
  }
}

/** Field names selected on the rows: of the field itself (a list of rows), or of its `rows` subfield. */
export function requestedRowFields(info: GraphQLResolveInfo, rowsField?: string): Set<string> {
  const out = new Set<string>();
  for (const node of info.fieldNodes) collect(node.selectionSet, info, out, rowsField);
  return out;
}
