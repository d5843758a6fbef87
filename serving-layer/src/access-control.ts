/**
 * Who may do what on a serving instance, when keys are configured (LAMINA_READ_KEYS,
 * LAMINA_WRITE_KEYS, LAMINA_ADMIN_KEYS): `read` = GraphQL queries and subscriptions, `write` = event
 * ingest, `admin` = the runBatch mutation. A client sends `Authorization: Bearer <key>` (or
 * `X-API-Key: <key>`). A scope with keys of its own requires one of them or an admin key; with no
 * keys at all everything is open (a laptop, a private network); admin operations are refused to
 * everyone once any key is configured but no admin key is. Keys are compared by their SHA-256
 * digests in constant time and are never logged or echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { LaminaError } from '@lamina/shared';

export type Scope = 'read' | 'write' | 'admin';

export interface AccessKeys {
  read: readonly string[];
  write: readonly string[];
  admin: readonly string[];
}

export class UnauthenticatedError extends LaminaError {
  readonly status = 401;
  constructor(scope: Scope) {
    super('UNAUTHENTICATED', `this ${scope === 'write' ? 'ingest' : scope === 'read' ? 'query' : 'operation'} needs a ${scope} key: send 'Authorization: Bearer <key>'`);
  }
}

export class ForbiddenError extends LaminaError {
  readonly status = 403;
  constructor(scope: Scope) {
    super('FORBIDDEN', `the key sent is not a ${scope} key`);
  }
}

const digest = (key: string) => createHash('sha256').update(key).digest();

export class AccessControl {
  private readonly digests: Record<Scope, Buffer[]>;
  private readonly anyKey: boolean;

  constructor(keys: AccessKeys = { read: [], write: [], admin: [] }) {
    this.digests = { read: keys.read.map(digest), write: keys.write.map(digest), admin: keys.admin.map(digest) };
    this.anyKey = keys.read.length + keys.write.length + keys.admin.length > 0;
  }

  /**
   * Throws UnauthenticatedError / ForbiddenError unless the request may act in `scope`. `urlKey`: a
   * `key` URL parameter, taken for GET streams only (a browser's EventSource cannot send headers).
   */
  check(headers: IncomingHttpHeaders | Headers, scope: Scope, urlKey?: string | null): void {
    const protectedScope = scope === 'admin' ? this.anyKey : this.digests[scope].length > 0;
    if (!protectedScope) return;
    const key = keyOf(headers) ?? (urlKey || undefined);
    if (key === undefined) throw new UnauthenticatedError(scope);
    const sent = digest(key);
    const allowed = [...this.digests[scope], ...(scope === 'admin' ? [] : this.digests.admin)];
    // Every candidate compared, in constant time each: no early exit tells which prefix matched.
    let ok = false;
    for (const d of allowed) ok = timingSafeEqual(d, sent) || ok;
    if (!ok) throw new ForbiddenError(scope);
  }
}

function keyOf(headers: IncomingHttpHeaders | Headers): string | undefined {
  // A fetch Headers (any implementation: yoga's ponyfill is not the global class) or node's headers object.
  const get = (name: string) => (typeof (headers as Headers).get === 'function' ? (headers as Headers).get(name) ?? undefined : ((headers as IncomingHttpHeaders)[name] as string | undefined));
  const authorization = get('authorization');
  if (authorization) {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return m ? m[1]!.trim() : undefined;
  }
  return get('x-api-key')?.trim() || undefined;
}
