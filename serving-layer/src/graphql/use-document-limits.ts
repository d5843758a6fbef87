/**
 * Limits checked on the document alone, before anything runs: tokens while parsing (a huge document
 * stops at the first token past the limit), then aliases, depth (graphql-armor's rules) and view
 * fields. Each refusal carries a stable code; graphql-yoga answers it as a validation error.
 */
import type { GraphQLError, ValidationContext } from 'graphql';
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

/** Armor's rejection, reported as a validation error with Lamina's code instead of thrown as a syntax error. */
function reportAs(code: QueryLimitCode, advice: string) {
  return (context: ValidationContext | null, armorError: GraphQLError) => context?.reportError(refusal(code, `${found(armorError)} ${advice}`));
}

export function useDocumentLimits(limits: ServingLimits, viewFields: ReadonlySet<string>): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        maxTokensPlugin({
          n: limits.maxTokens,
          propagateOnRejection: false,
          onReject: [
            (_, armorError) => {
              // The parser has no validation context to report to: stop it by throwing.
              throw refusal('QUERY_TOO_LONG', `${found(armorError)} Send a shorter document (serving.limits.maxTokens): fewer fields, or long filter lists as variables.`);
            },
          ],
        }),
      );
      addPlugin(maxAliasesPlugin({ n: limits.maxAliases, propagateOnRejection: false, onReject: [reportAs('TOO_MANY_ALIASES', 'Ask for fewer aliased fields per request, or split it into several requests (serving.limits.maxAliases).')] }));
      addPlugin(maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true, propagateOnRejection: false, onReject: [reportAs('QUERY_TOO_DEEP', 'Select less deeply nested fields (serving.limits.maxDepth).')] }));
    },
    onValidate({ addValidationRule }) {
      addValidationRule(
        maxViewFieldsRule(limits.maxViewFields, viewFields, (n) =>
          refusal('TOO_MANY_VIEW_FIELDS', `View fields limit of ${limits.maxViewFields} exceeded, found ${n}: each reads a whole view. Split the request into several (serving.limits.maxViewFields).`),
        ),
      );
    },
  };
}
