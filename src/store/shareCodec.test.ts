import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vethPair from '../../scenarios/veth-pair.json';
import {
  MAX_COMPRESSED_BYTES,
  decodeShare,
  deflateRaw,
  encodeShare,
  encodeShareV0,
  fromBase64Url,
  toBase64Url,
} from './shareCodec';

describe('base64url', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const s = toBase64Url(bytes);
        expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64Url(s)).toEqual(bytes);
      }),
    );
  });

  it('rejects characters outside the alphabet', () => {
    expect(fromBase64Url('ab+c')).toBeUndefined();
    expect(fromBase64Url('a')).toBeUndefined();
  });
});

describe('share codec', () => {
  it('round-trips a real scenario and is much shorter than the JSON', async () => {
    const commands = [
      { afterStep: 5, host: 'master', run: 'ip netns exec client ping -c 1 10.0.0.99' },
    ];
    const encoded = await encodeShare({ scenario: vethPair, commands });
    expect(encoded.startsWith('1.')).toBe(true);
    expect(encoded.length).toBeLessThan(encodeURIComponent(JSON.stringify(vethPair)).length / 2);
    const decoded = await decodeShare(encoded);
    expect(decoded).toEqual({ ok: true, payload: { v: 1, scenario: vethPair, commands } });
  });

  it('round-trips any JSON document (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })),
        fc.array(fc.record({ afterStep: fc.nat(50), host: fc.string(), run: fc.string() }), {
          maxLength: 4,
        }),
        async (scenario, commands) => {
          const normalized = JSON.parse(JSON.stringify(scenario)) as unknown;
          const decoded = await decodeShare(await encodeShare({ scenario, commands }));
          expect(decoded).toEqual({ ok: true, payload: { v: 1, scenario: normalized, commands } });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('migrates a version 0 link (uncompressed scenario) to version 1', async () => {
    const decoded = await decodeShare(encodeShareV0(vethPair));
    expect(decoded).toEqual({
      ok: true,
      payload: { v: 1, scenario: vethPair, commands: [] },
      migratedFrom: 0,
    });
  });

  it('explains a truncated link', async () => {
    const encoded = await encodeShare({ scenario: vethPair, commands: [] });
    for (const cut of [10, 100, 400]) {
      const r = await decodeShare(encoded.slice(0, encoded.length - cut));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.code).toBe('truncated');
        expect(r.message).toMatch(/incomplete|cut off/);
      }
    }
  });

  it('explains malformed data', async () => {
    for (const bad of ['', 'hello', '1.', '1.!!!!', 'x.abc']) {
      const r = await decodeShare(bad);
      expect(r.ok).toBe(false);
    }
    // valid deflate of something that is not a payload
    const notPayload = `1.${toBase64Url(await deflateRaw(new TextEncoder().encode('[1,2,3]')))}`;
    const r = await decodeShare(notPayload);
    expect(r).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('refuses newer versions and oversized payloads', async () => {
    expect(await decodeShare('2.abcd')).toMatchObject({ ok: false, code: 'newer-version' });
    expect(await decodeShare('7.abcd')).toMatchObject({ ok: false, code: 'newer-version' });
    const huge = `1.${'A'.repeat(Math.ceil((MAX_COMPRESSED_BYTES * 4) / 3) + 8)}`;
    expect(await decodeShare(huge)).toMatchObject({ ok: false, code: 'too-large' });
  });

  it('refuses a decompression bomb', async () => {
    const bomb = await deflateRaw(
      new TextEncoder().encode(`{"v":1,"scenario":"${'a'.repeat(5 * 1024 * 1024)}","commands":[]}`),
    );
    expect(bomb.length).toBeLessThan(MAX_COMPRESSED_BYTES);
    expect(await decodeShare(`1.${toBase64Url(bomb)}`)).toMatchObject({
      ok: false,
      code: 'too-large',
    });
  });

  it('never produces a link over the limit', async () => {
    // pseudo-random (incompressible) text from a linear congruential generator
    let x = 12345;
    const noise = Array.from({ length: 120_000 }, () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return String.fromCharCode(33 + ((x >>> 24) % 90));
    }).join('');
    await expect(encodeShare({ scenario: { noise }, commands: [] })).rejects.toThrow(/too large/);
  });
});
