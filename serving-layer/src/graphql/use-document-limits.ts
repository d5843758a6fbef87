/**
 * Limits checked on the document alone, before anything runs: tokens while parsing (a huge document
 * stops at the first token past the limit), then aliases, depth (graphql-armor's rules) and view
 * fields. Each refusal carries a stable code and is thrown, not reported: the rules check on entering
 * the operation, so throwing stops validation before graphql-js's own rules walk a huge selection
 * (OverlappingFieldsCanBeMerged compares every pair of fields). graphql-yoga answers it as a
 * validation error.
 */
import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { ServingLimits } from '@lamina/shared';
import { laminaGraphQLError } from './mask-error.js';
import { maxViewFieldsRule } from './max-view-fields-rule.js';
import { QueryLimitError, type QueryLimitCode } from './query-limit-errors.js';

/** The same status graphql-yoga gives a validation error: 400, or 200 to a client that accepts only application/json. */
const VALIDATION_HTTP = { http: { spec: true, status: 400 } };

function refusal(code: QueryLimitCode, message: string): GraphQLError {
  return laminaGraphQLError(new QueryLimitError(code, message), VALIDATION_HTTP);
}

/** graphql-armor says what it found ("Aliases limit of 15 exceeded, found 1000."); Lamina adds what to do. */
const found = (armorError: GraphQLError) => armorError.message.replace(/^Syntax Error: /, '');

/** Armor's rejection, thrown with Lamina's code and advice instead of as a "Syntax Error". */
function refuseAs(code: QueryLimitCode, advice: string) {
  return (_: unknown, armorError: GraphQLError) => {
    throw refusal(code, `${found(armorError)} ${advice}`);
  };
}

export function useDocumentLimits(limits: ServingLimits, viewFields: ReadonlySet<string>): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      const tooLong = refuseAs('QUERY_TOO_LONG', 'Send a shorter document (serving.limits.maxTokens): fewer fields, or long filter lists as variables.');
      addPlugin(maxTokensPlugin({ n: limits.maxTokens, propagateOnRejection: false, onReject: [tooLong] }));
      const tooManyAliases = refuseAs('TOO_MANY_ALIASES', 'Ask for fewer aliased fields per request, or split it into several requests (serving.limits.maxAliases).');
      addPlugin(maxAliasesPlugin({ n: limits.maxAliases, propagateOnRejection: false, onReject: [tooManyAliases] }));
      const tooDeep = refuseAs('QUERY_TOO_DEEP', 'Select less deeply nested fields (serving.limits.maxDepth).');
      addPlugin(maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true, propagateOnRejection: false, onReject: [tooDeep] }));
      addPlugin({
        onValidate({ addValidationRule }) {
          addValidationRule(
            maxViewFieldsRule(limits.maxViewFields, viewFields, (n) => {
              throw refusal('TOO_MANY_VIEW_FIELDS', `View fields limit of ${limits.maxViewFields} exceeded, found ${n}: each reads a whole view. Split the request into several (serving.limits.maxViewFields).`);
            }),
          );
        },
      });
    },
  };
}
