/**
 * A validation rule bounding the view fields at the root of an operation. Each one reads and merges
 * a whole view, so their number, not the size of the document, is what a request costs; graphql-armor
 * counts aliases and depth but cannot know which fields are views.
 */
import { Kind, type SelectionSetNode, type ValidationRule } from 'graphql';

export function maxViewFieldsRule(max: number, viewFields: ReadonlySet<string>, refuse: (found: number) => never): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      // Response keys, not selections: `{ v v }` with the same arguments is merged and runs once.
      const keys = new Set<string>();
      const spread = new Set<string>();
      const collect = (selectionSet: SelectionSetNode): void => {
        for (const selection of selectionSet.selections) {
          if (selection.kind === Kind.FIELD) {
            if (viewFields.has(selection.name.value)) keys.add((selection.alias ?? selection.name).value);
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            collect(selection.selectionSet);
          } else if (!spread.has(selection.name.value)) {
            spread.add(selection.name.value);
            const fragment = context.getFragment(selection.name.value);
            if (fragment) collect(fragment.selectionSet);
          }
        }
      };
      collect(operation.selectionSet);
      if (keys.size > max) refuse(keys.size);
    },
  });
}
