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

  it('names the path of a malformed field', () => {
    const d = decodeResult('list_pins', {
      cache_dir: '/c',
      pins: [{ alias: 'a', key: 1 }]
    });
    expect(d).toEqual({
      ok: false,
      error: 'result.pins[0].key: expected a string'
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
