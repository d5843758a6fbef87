/**
 * Keys on GraphQL (see access-control.ts): every request needs the read scope, before its body is
 * parsed (401/403 with the code, like the other refusals); a mutation needs the admin scope.
 */
import { getOperationAST } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { LaminaError } from '@lamina/shared';
import type { AccessControl } from '../access-control.js';

function refusal(error: LaminaError & { status: number }) {
  return createGraphQLError(error.message, { extensions: { http: { status: error.status }, code: error.code } });
}

export function useAccessControl(access: AccessControl): Plugin {
  return {
    onRequestParse({ request }) {
      try {
        access.check(request.headers, 'read', request.method === 'GET' ? new URL(request.url).searchParams.get('key') : undefined);
      } catch (error) {
        throw refusal(error as LaminaError & { status: number });
      }
    },
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const request = (args.contextValue as { request?: Request }).request;
      try {
        access.check(request?.headers ?? new Headers(), 'admin');
      } catch (error) {
        throw refusal(error as LaminaError & { status: number });
      }
    },
  };
}
