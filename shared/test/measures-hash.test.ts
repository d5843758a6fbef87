// MurmurHash3 against published vectors, and the distinct measure's value hash against its definition.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { murmur3X86_128, murmur3X86_128Into, murmur3X86_32 } from '../src/hash/murmur3.js';
import { canonicalString, hashValueInto } from '../src/hash/value-hash.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex128 = (w: Uint32Array): string => [...w].map((x) => x.toString(16).padStart(8, '0')).join('');

/**
 * SMHasher's VerificationTest: hash keys {}, {0}, {0,1}, … {0..254} with seed 256 − length, hash the
 * concatenated digests with seed 0, and read the first 4 bytes little-endian.
 */
function smhasherVerification(bits: 32 | 128): number {
  const size = bits / 8;
  const key = new Uint8Array(256);
  const digests = new Uint8Array(size * 256);
  const final = new Uint8Array(size);
  const words = new Uint32Array(4);
  const hashInto = (bytes: Uint8Array, length: number, seed: number, into: Uint8Array, at: number): void => {
    const view = new DataView(into.buffer);
    if (bits === 32) {
      view.setUint32(at, murmur3X86_32(bytes, length, seed), true);
    } else {
      murmur3X86_128Into(bytes, length, seed, words);
      for (let j = 0; j < 4; j++) view.setUint32(at + 4 * j, words[j]!, true);
    }
  };
  for (let i = 0; i < 256; i++) {
    key[i] = i;
    hashInto(key, i, 256 - i, digests, i * size);
  }
  hashInto(digests, digests.length, 0, final, 0);
  return new DataView(final.buffer).getUint32(0, true);
}

describe('MurmurHash3 known vectors', () => {
  test('SMHasher verification codes (x86_32 = 0xB0F57EE3, x86_128 = 0xB3ECE62A)', () => {
    assert.equal(smhasherVerification(32), 0xb0f57ee3);
    assert.equal(smhasherVerification(128), 0xb3ece62a);
  });

  test('x86_32 published vectors', () => {
    assert.equal(murmur3X86_32(utf8(''), 0, 0), 0);
    assert.equal(murmur3X86_32(utf8(''), 0, 1), 0x514e28b7);
    assert.equal(murmur3X86_32(utf8(''), 0, 0xffffffff), 0x81f16f39);
    assert.equal(murmur3X86_32(utf8('test')), 0xba6bd213);
    assert.equal(murmur3X86_32(utf8('Hello, world!')), 0xc0363e43);
    assert.equal(murmur3X86_32(utf8('The quick brown fox jumps over the lazy dog')), 0x2e4ff723);
    assert.equal(murmur3X86_32(utf8('I will not buy this record, it is scratched.')), 2832214938);
    assert.equal(murmur3X86_32(utf8('My hovercraft is full of eels.'), undefined, 25), 2520298415);
    assert.equal(murmur3X86_32(Uint8Array.from({ length: 256 }, (_, i) => i)), 3825864278);
  });

  test('x86_128 published vectors (digest words h1..h4)', () => {
    assert.equal(hex128(murmur3X86_128(utf8(''))), '0'.repeat(32));
    assert.equal(
      hex128(murmur3X86_128(utf8("I will not buy this tobacconist's, it is scratched."))),
      '9b5b7ba2ef3f7866889adeaf00f3f98e',
    );
    assert.equal(hex128(murmur3X86_128(Uint8Array.from({ length: 256 }, (_, i) => i))), '2c56c88fdb4503dfd352b21a494ca2c0');
  });

  test('hashing a prefix of a buffer equals hashing the prefix alone', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.nat({ max: 70 }), fc.integer(), (bytes, cut, seed) => {
        const n = Math.min(cut, bytes.length);
        assert.equal(murmur3X86_32(bytes, n, seed), murmur3X86_32(bytes.slice(0, n), n, seed));
        const a = new Uint32Array(4);
        murmur3X86_128Into(bytes, n, seed, a);
        assert.equal(hex128(a), hex128(murmur3X86_128(bytes.slice(0, n), seed)));
      }),
      { numRuns: 100 },
    );
  });
});

describe('value hash', () => {
  const viaDefinition = (v: unknown): string => hex128(murmur3X86_128(utf8(canonicalString(v)!), 0));
  const viaFastPath = (v: unknown): string => {
    const out = new Uint32Array(4);
    assert.equal(hashValueInto(v, out), true);
    return hex128(out);
  };

  test('fast paths (ASCII, non-ASCII, lone surrogates, safe integers) match the definition', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)) }),
          fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\udc00'), maxLength: 30 }),
          fc.maxSafeInteger(),
          fc.integer(),
          fc.double(),
          fc.bigInt(),
          fc.boolean(),
        ),
        (v) => assert.equal(viaFastPath(v), viaDefinition(v)),
      ),
      { numRuns: 200 },
    );
    assert.equal(viaFastPath('x'.repeat(5000) + 'é'), viaDefinition('x'.repeat(5000) + 'é'));
    const edges = [0, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1e15, Number.MAX_SAFE_INTEGER];
    for (const n of [...edges, ...edges.map((x) => -x)]) assert.equal(viaFastPath(n), viaDefinition(n), String(n));
  });

  test('canonical string form', () => {
    assert.equal(canonicalString(-0), '0');
    assert.equal(canonicalString(1.5e300), '1.5e+300');
    assert.equal(canonicalString(12345678901234567890n), '12345678901234567890');
    assert.equal(canonicalString(false), 'false');
    assert.equal(canonicalString({ b: [1, 'x'], a: null, c: undefined }), '{"a":null,"b":[1,"x"]}');
    assert.equal(canonicalString(null), undefined);
    assert.equal(canonicalString(undefined), undefined);
    assert.equal(viaFastPath(-0), viaFastPath(0));
    assert.equal(viaFastPath(42), viaFastPath('42'));
    assert.equal(hashValueInto(null, new Uint32Array(4)), false);
  });

  test('frozen values (changing them changes every stored distinct sketch)', () => {
    assert.equal(viaFastPath('user-42'), 'f1dbba2f9709c71000a12cfb00a12cfb');
    assert.equal(viaFastPath(42), '42339950f2d89cc6f2d89cc6f2d89cc6');
    assert.equal(viaFastPath('é'), 'b2013c81e6cec69ce6cec69ce6cec69c');
  });
});
