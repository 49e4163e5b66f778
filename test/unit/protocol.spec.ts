import * as fs from 'fs';
import * as path from 'path';
import { parseMagicLine } from '../../src/magic/parser';
import {
  BUILD_MIME_TYPE,
  COMM_TARGET,
  decodeBuildResult,
  decodeEvent,
  decodeReply,
  decodeResult,
  Decoded,
  ERROR_CODES,
  EVENT_NAMES,
  Op,
  OPS,
  PROFILES,
  PROTOCOL_VERSION,
  pipInstallLine
} from '../../src/protocol';
import { decodeRequest } from './helpers/requests';

type Kind = 'request' | 'reply' | 'event' | 'build_result' | 'result';
interface IVector {
  name: string;
  kind: Kind;
  message: { [key: string]: unknown };
  /** For replies and results: the op whose result this is. */
  op?: Op;
  /** Invalid only in this row of a list: a decoder that reads lists row by row marks the row unreadable. */
  unreadable_row?: string;
}
interface IMagicVector {
  name: string;
  line: string;
  /** What the kernel's argument parser reads from the line... */
  options?: {
    alias: string | null;
    profile: string | null;
    /** Cython's `-a` is `default`, `--annotate-fullc` is `fullc`. */
    annotate: 'default' | 'fullc' | null;
    name: string | null;
    language_level: 2 | 3 | null;
  };
  /** ...or the start of its usage error. */
  error?: string;
}

const root = path.join(__dirname, '..', '..');
const vectors: {
  protocol_version: number;
  comm_target: string;
  mime_type: string;
  valid: IVector[];
  invalid: IVector[];
  magic_lines: IMagicVector[];
} = JSON.parse(
  fs.readFileSync(path.join(root, 'test', 'protocol', 'vectors.json'), 'utf-8')
);

function decode(v: IVector): Decoded<unknown> {
  switch (v.kind) {
    case 'request':
      return decodeRequest(v.message);
    case 'reply':
      return decodeReply(v.message);
    case 'event':
      return decodeEvent(v.message);
    case 'build_result':
      return decodeBuildResult(v.message);
    case 'result':
      return decodeResult(v.op as Op, v.message);
  }
}

describe('shared protocol vectors (test/protocol/vectors.json)', () => {
  it('agree on the constants', () => {
    expect(vectors.protocol_version).toBe(PROTOCOL_VERSION);
    expect(vectors.comm_target).toBe(COMM_TARGET);
    expect(vectors.mime_type).toBe(BUILD_MIME_TYPE);
  });

  it('cover every op, event and error code', () => {
    const valid = vectors.valid;
    const requested = valid
      .filter(v => v.kind === 'request')
      .map(v => v.message.op);
    const answered = valid.filter(v => v.kind === 'reply' && v.op);
    expect(new Set(requested)).toEqual(new Set(OPS));
    expect(new Set(answered.map(v => v.op))).toEqual(new Set(OPS));
    const events = valid.filter(v => v.kind === 'event');
    expect(new Set(events.map(v => v.message.event))).toEqual(
      new Set(EVENT_NAMES)
    );
    const errors = valid
      .map(v => v.message.error as { type: string } | null | undefined)
      .filter(e => e)
      .map(e => e!.type);
    for (const code of ERROR_CODES) {
      expect(errors).toContain(code);
    }
    expect(vectors.invalid.length).toBeGreaterThan(0);
  });

  describe.each(vectors.valid.map(v => [v.name, v] as const))(
    'valid: %s',
    (_name, vector) => {
      it('is accepted', () => {
        const decoded = decode(vector);
        if (!decoded.ok) {
          throw new Error(`rejected: ${decoded.error}`);
        }
        if (vector.op) {
          const result = decodeResult(vector.op, vector.message.result);
          if (!result.ok) {
            throw new Error(`result rejected: ${result.error}`);
          }
        }
      });
    }
  );

  describe.each(vectors.invalid.map(v => [v.name, v] as const))(
    'invalid: %s',
    (_name, vector) => {
      it('is rejected with a reason', () => {
        const decoded = decode(vector);
        if (vector.unreadable_row) {
          // the list still decodes; only the row that breaks the contract is unreadable, saying why
          const [, field, index] = vector.unreadable_row.match(
            /^result\.(\w+)\[(\d+)\]$/
          )!;
          expect(decoded.ok).toBe(true);
          const list = (decoded as { value: { [k: string]: unknown[] } }).value[
            field
          ];
          expect(list[Number(index)]).toMatchObject({
            unreadable: true,
            error: expect.stringMatching(
              new RegExp(
                `^${vector.unreadable_row.replace(/[[\].]/g, '\\$&')}\\.\\w+: expected`
              )
            )
          });
          expect(
            list.filter(r => (r as object) && 'unreadable' in (r as object))
          ).toHaveLength(1);
          return;
        }
        expect(decoded.ok).toBe(false);
        if (!decoded.ok) {
          expect(decoded.error).toMatch(/expected/);
        }
      });
    }
  );
});

describe('magic-line grammar (vectors shared with the kernel magic)', () => {
  describe.each(vectors.magic_lines.map(v => [v.name, v] as const))(
    '%s',
    (_name, vector) => {
      it('is read like the kernel reads it', () => {
        const m = parseMagicLine(`${vector.line}\ndef f(): pass`);
        expect(m).not.toBeNull();
        if (!vector.options) {
          return; // the kernel rejects the line; the frontend still treats the cell as a magic cell
        }
        const o = vector.options;
        const annotate = o.annotate !== null;
        const magic = vector.line.split(/\s/)[0].slice(2);
        expect(m).toMatchObject({
          magic,
          // `%%cython` (taken over) has no alias; `-3`/`-2` are never one
          alias: magic === 'cython_pin' ? o.alias : null,
          moduleName: o.name,
          profile: o.profile ?? (annotate ? 'annotate' : null),
          annotate: annotate || o.profile === 'annotate'
        });
      });
    }
  );
});

describe('settings schema', () => {
  it('offers exactly the protocol profiles', () => {
    const plugin = JSON.parse(
      fs.readFileSync(path.join(root, 'schema', 'plugin.json'), 'utf-8')
    );
    expect(plugin.properties.defaultProfile.enum).toEqual([...PROFILES]);
  });
});

describe('decoders', () => {
  const valid = (name: string) =>
    vectors.valid.find(v => v.name === name)!.message;

  it('reads the failing build result the way a user sees it', () => {
    const d = decodeBuildResult(valid('build result error'));
    expect(d.ok).toBe(true);
    if (d.ok) {
      expect(d.value.status).toBe('error');
      expect(d.value.diagnostics[0]).toMatchObject({
        line: 3,
        column: 12,
        severity: 'error',
        message: 'undeclared name not builtin: y'
      });
    }
  });

  it('reads every kind of cache entry the helper lists', () => {
    const d = decodeResult(
      'list_cached',
      valid('reply list_cached every kind of entry').result
    );
    expect(d.ok).toBe(true);
    const entries = d.ok ? d.value.entries : [];
    expect(entries.map(e => ('kind' in e ? e.kind : 'unreadable'))).toEqual([
      'module',
      'shared',
      'module',
      'package',
      'module',
      'module',
      null
    ]);
  });

  it('marks one unexpected row unreadable and keeps the others (catalogue, gc_cache)', () => {
    const catalogue = valid('reply catalogue').result as {
      [k: string]: unknown[];
    };
    const entries = [...catalogue.entries];
    entries.splice(1, 0, { ...(entries[0] as object), profile: 'turbo' });
    const d = decodeResult('catalogue', {
      ...catalogue,
      pins: [...catalogue.pins, { alias: 'odd', key: 7 }],
      entries
    });
    if (!d.ok) {
      throw new Error(d.error);
    }
    expect(d.value.entries).toHaveLength(entries.length);
    expect(d.value.entries[1]).toEqual({
      unreadable: true,
      key: (entries[0] as { key: string }).key,
      alias: null,
      error:
        'result.entries[1].profile: expected one of fast-debug, release, annotate'
    });
    expect(d.value.entries.filter(e => 'unreadable' in e)).toHaveLength(1);
    expect(d.value.pins[d.value.pins.length - 1]).toEqual({
      unreadable: true,
      key: null,
      alias: 'odd',
      error: `result.pins[${catalogue.pins.length}].key: expected a string`
    });
    const toolchain = catalogue.toolchain;
    const gc = decodeResult('gc_cache', {
      dry_run: true,
      removed: [null, entries[0]],
      removed_toolchain: [toolchain[0], { ...(toolchain[0] as object), id: 3 }],
      freed_bytes: 1,
      kept: 0
    });
    expect(gc.ok && gc.value.removed.map(r => 'unreadable' in r)).toEqual([
      true,
      false
    ]);
    expect(gc.ok && gc.value.removed_toolchain[0]).toEqual(toolchain[0]);
    expect(gc.ok && gc.value.removed_toolchain[1]).toEqual({
      unreadable: true,
      key: null,
      alias: null,
      error: 'result.removed_toolchain[1].id: expected a string'
    });
  });

  it('decodes the toolchain entries of a catalogue, their toolchain unknown or gone', () => {
    const catalogue = valid('reply catalogue').result as {
      [k: string]: unknown[];
    };
    const d = decodeResult('catalogue', catalogue);
    if (!d.ok) {
      throw new Error(d.error);
    }
    expect(d.value.toolchain).toEqual(catalogue.toolchain);
    expect(
      d.value.toolchain.map(t =>
        'unreadable' in t ? null : [t.kind, t.present, t.toolchain]
      )
    ).toEqual([
      ['shared', true, 'CPython 3.11.7 · Cython 3.3.1 · gcc 12.2.0'],
      ['pch', false, 'CPython 3.10.12 · Cython 3.0.11 · gcc 11.4.0'],
      ['pch', null, null]
    ]);
    const older: { [k: string]: unknown } = { ...catalogue };
    delete older.toolchain; // a helper from before toolchain entries
    expect(decodeResult('catalogue', older)).toEqual({
      ok: false,
      error: 'result.toolchain: expected an array'
    });
  });

  it('still rejects a list that is not a list', () => {
    expect(
      decodeResult('list_cached', { cache_dir: '/c', entries: {} })
    ).toEqual({ ok: false, error: 'result.entries: expected an array' });
  });

  it('names the path of a malformed field', () => {
    const d = decodeResult('pin', { alias: 'a', key: 1 });
    expect(d).toEqual({
      ok: false,
      error: 'result.key: expected a string'
    });
  });

  it('returns exactly the fields of the contract', () => {
    const d = decodeResult('hello', {
      ...(valid('reply hello').result as object),
      extra: 1
    });
    expect(d.ok && Object.keys(d.value).sort()).toEqual([
      'cache_dir',
      'cython_version',
      'helper_version',
      'protocol_version',
      'python_executable'
    ]);
  });

  it('builds the pip line from the python repr', () => {
    expect(pipInstallLine("'/opt/env/bin/python'")).toBe(
      '"/opt/env/bin/python" -m pip install cython-pin'
    );
  });
});
