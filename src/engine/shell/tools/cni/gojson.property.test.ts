/**
 * parseGoJson reads what JSON.stringify writes into the same value (strings with escapes,
 * numbers as their text), the same text parsed again gives the same answer (the recent-parse
 * memo included), and a text cut short fails with Go's message every time it is read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GoError, type GoType, type JsonValue, goUnmarshal, parseGoJson } from './gojson';

/** The plain value a JsonValue stands for (numbers through their text). */
function plain(v: JsonValue): unknown {
  switch (v.t) {
    case 'null':
      return null;
    case 'bool':
    case 'string':
      return v.v;
    case 'number':
      return Number(v.text);
    case 'array':
      return v.items.map(plain);
    case 'object':
      return Object.fromEntries(v.entries.map(([k, x]) => [k, plain(x)]));
  }
}

describe('parseGoJson', () => {
  it('reads JSON.stringify output back, the same each time', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, indent) => {
        const text = JSON.stringify(value, null, indent ? 2 : undefined);
        const once = parseGoJson(text);
        expect(plain(once)).toEqual(JSON.parse(text));
        expect(parseGoJson(text)).toEqual(once);
      }),
      { numRuns: 500 },
    );
  });

  it('fails on a cut text with the same Go error each time', () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => typeof v === 'object' && v !== null),
        fc.nat(),
        (value, at) => {
          const text = JSON.stringify(value);
          const cut = text.slice(0, at % text.length);
          const messages = [0, 1].map(() => {
            try {
              parseGoJson(cut);
              return 'parsed';
            } catch (e) {
              expect(e).toBeInstanceOf(GoError);
              return (e as GoError).message;
            }
          });
          expect(messages[0]).not.toBe('parsed');
          expect(messages[1]).toBe(messages[0]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("parseGoJson's errors", () => {
  it("are encoding/json's scanner messages", () => {
    const cases: [string, string][] = [
      ['{"a":}', "invalid character '}' looking for beginning of value"],
      ['[1,]', "invalid character ']' looking for beginning of value"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['{"a":1 "b"}', "invalid character '\"' after object key:value pair"],
      ['{1:2}', "invalid character '1' looking for beginning of object key string"],
      ['[1 2]', "invalid character '2' after array element"],
      ['tru', 'unexpected end of JSON input'],
      ['trux', "invalid character 'x' in literal true (expecting 'e')"],
      ['nul', 'unexpected end of JSON input'],
      ['"\\x"', "invalid character 'x' in string escape code"],
      ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
      ['"a\nb"', "invalid character '\\n' in string literal"],
      ['-x', "invalid character 'x' in numeric literal"],
      ['1.x', "invalid character 'x' after decimal point in numeric literal"],
      ['1ex', "invalid character 'x' in exponent of numeric literal"],
      ['1 2', "invalid character '2' after top-level value"],
      ['', 'unexpected end of JSON input'],
      ['"abc', 'unexpected end of JSON input'],
    ];
    for (const [text, message] of cases)
      expect(() => parseGoJson(text), text).toThrow(new GoError(message));
    expect(parseGoJson('"a\\u00e9\\n\\"b"')).toEqual({ t: 'string', v: 'a\u00e9\n"b' });
  });
});

describe('goUnmarshal', () => {
  it('matches keys as encoding/json does: the exact field first, then the first that folds', () => {
    const t: GoType = {
      k: 'struct',
      name: 'conf',
      fields: { ipMasq: { k: 'bool' }, IPMasq: { k: 'bool' }, bridge: { k: 'string' } },
    };
    const dec = (text: string) => goUnmarshal<Record<string, unknown>>(parseGoJson(text), t);
    expect(dec('{"IPMasq": true}')).toEqual({ IPMasq: true });
    expect(dec('{"ipmasq": true}')).toEqual({ ipMasq: true });
    expect(dec('{"BRIDGE": "cni0", "other": 1}')).toEqual({ bridge: 'cni0' });
    // A later key for the same field wins; null leaves what was there.
    expect(dec('{"bridge": "a", "Bridge": "b", "ipMasq": null}')).toEqual({ bridge: 'b' });
  });

  it('hands out one frozen answer per value, type and starting value, and keeps errors', () => {
    const t: GoType = {
      k: 'struct',
      name: 'conf',
      fields: {
        name: { k: 'string' },
        mtu: { k: 'int' },
        routes: { k: 'slice', name: '[]string', elem: { k: 'string' } },
      },
    };
    const into = Object.freeze({ name: 'default' });
    const v = parseGoJson('{"mtu": 1450, "routes": ["a"]}');
    const first = goUnmarshal<Record<string, unknown>>(v, t, into);
    expect(first).toEqual({ name: 'default', mtu: 1450, routes: ['a'] });
    expect(goUnmarshal(v, t, into)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.routes)).toBe(true);
    expect(goUnmarshal(v, t)).toEqual({ mtu: 1450, routes: ['a'] });
    const bad = parseGoJson('{"mtu": "x"}');
    for (let i = 0; i < 2; i++)
      expect(() => goUnmarshal(bad, t)).toThrow(
        new GoError('json: cannot unmarshal string into Go value of type int'),
      );
  });
});
