/**
 * The fixed hash the distinct measure applies to an event value: MurmurHash3_x86_128, seed 0, of
 * the UTF-8 bytes of the value's canonical string form. Changing any part of this changes every
 * stored HyperLogLog, so it is frozen; a new scheme needs a new HLL format byte.
 *
 * Canonical string form (`canonicalString`):
 * - string: itself (lone surrogates become U+FFFD, as TextEncoder does);
 * - number: `String(n)` (ECMAScript shortest round-trip form; -0 gives "0"); so 1, 1.0 and 1n agree;
 * - bigint: its decimal digits; boolean: "true" / "false";
 * - anything else (arrays, objects, Dates): canonical JSON, object keys sorted by code unit.
 * So the number 7 and the string "7" hash alike: a field holds one declared type, so this never
 * merges values a user would call different, and other tools can reproduce the hash from text.
 * null and undefined have no form: they are a missing value and are not hashed.
 */
import { murmur3X86_128Into } from './murmur3.js';

export const VALUE_HASH_SEED = 0;

const encoder = new TextEncoder();
/** Scratch buffer reused by every call; hashing does not allocate for strings and safe integers. */
let scratch = new Uint8Array(256);

function ensureCapacity(bytes: number): void {
  if (scratch.length < bytes) scratch = new Uint8Array(Math.max(bytes, scratch.length * 2));
}

function writeString(s: string): number {
  const n = s.length;
  // A UTF-16 code unit never needs more than 3 UTF-8 bytes, so encodeInto below always fits.
  ensureCapacity(n * 3);
  const buf = scratch;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return encoder.encodeInto(s, buf).written;
    buf[i] = c;
  }
  return n;
}

/** Decimal digits of a safe integer, byte-identical to String(n), without building the string. */
function writeSafeInteger(n: number): number {
  const buf = scratch;
  let len = 0;
  let v = n;
  if (v < 0) {
    buf[len++] = 45; // '-'
    v = -v;
  }
  let digits = 1;
  for (let p = 10; p <= v; p *= 10) digits++;
  let pos = len + digits;
  // Above 2^31 the 32-bit `| 0` division would wrap, so fall back to float division for the top digits.
  while (v >= 2147483648) {
    const q = Math.floor(v / 10);
    buf[--pos] = 48 + (v - q * 10);
    v = q;
  }
  do {
    const q = (v / 10) | 0;
    buf[--pos] = 48 + (v - q * 10);
    v = q;
  } while (v > 0);
  return len + digits;
}

function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return canonicalJson(withJson.toJSON());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

/** The canonical string form described above, or undefined for null/undefined. */
export function canonicalString(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return undefined;
    default:
      return value === null ? undefined : canonicalJson(value);
  }
}

/**
 * Hashes `value` (see the module comment) into `out` (4 words, h1..h4 of MurmurHash3_x86_128).
 * Returns false, leaving `out` alone, when the value is null or undefined.
 */
export function hashValueInto(value: unknown, out: Uint32Array): boolean {
  let length: number;
  if (typeof value === 'string') {
    length = writeString(value);
  } else if (typeof value === 'number' && Number.isSafeInteger(value)) {
    ensureCapacity(17);
    length = writeSafeInteger(value);
  } else {
    const s = canonicalString(value);
    if (s === undefined) return false;
    length = writeString(s);
  }
  murmur3X86_128Into(scratch, length, VALUE_HASH_SEED, out);
  return true;
}
