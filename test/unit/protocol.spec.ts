import * as fs from 'fs';
import * as path from 'path';
import {
  BUILD_MIME_TYPE,
  COMM_TARGET,
  decodeBuildResult,
  decodeEvent,
  decodeReply,
  decodeRequest,
  decodeResult,
  Decoded,
  IRequest,
  Op,
  PROTOCOL_VERSION,
  pipInstallLine
} from '../../src/protocol';

interface IVector {
  name: string;
  kind: 'request' | 'reply' | 'event' | 'build_result';
  message: unknown;
}

const vectors: {
  protocol_version: number;
  comm_target: string;
  mime_type: string;
  valid: IVector[];
  invalid: IVector[];
} = JSON.parse(
  fs.readFileSync(
    path.join(__dirname, '..', 'protocol', 'vectors.json'),
    'utf-8'
  )
);

const decoders: Record<IVector['kind'], (v: unknown) => Decoded<unknown>> = {
  request: decodeRequest,
  reply: decodeReply,
  event: decodeEvent,
  build_result: decodeBuildResult
};

describe('shared protocol vectors (test/protocol/vectors.json)', () => {
  it('agree on the constants', () => {
    expect(vectors.protocol_version).toBe(PROTOCOL_VERSION);
    expect(vectors.comm_target).toBe(COMM_TARGET);
    expect(vectors.mime_type).toBe(BUILD_MIME_TYPE);
  });

  it('has vectors of every kind', () => {
    const kinds = new Set(vectors.valid.map(v => v.kind));
    expect([...kinds].sort()).toEqual(
      ['build_result', 'event', 'reply', 'request'].sort()
    );
    expect(vectors.invalid.length).toBeGreaterThan(0);
  });

  describe.each(vectors.valid.map(v => [v.name, v] as const))(
    'valid: %s',
    (_name, vector) => {
      it('is accepted', () => {
        const decoded = decoders[vector.kind](vector.message);
        if (!decoded.ok) {
          throw new Error(`rejected: ${decoded.error}`);
        }
        expect(decoded.ok).toBe(true);
      });
    }
  );

  describe.each(vectors.invalid.map(v => [v.name, v] as const))(
    'invalid: %s',
    (_name, vector) => {
      it('is rejected with a reason', () => {
        const decoded = decoders[vector.kind](vector.message);
        expect(decoded.ok).toBe(false);
        if (!decoded.ok) {
          expect(decoded.error).toMatch(/expected/);
        }
      });
    }
  );

  it('decodes every successful reply result with the op of its request', () => {
    const requests = new Map<string, IRequest>();
    for (const v of vectors.valid.filter(x => x.kind === 'request')) {
      const d = decodeRequest(v.message);
      if (d.ok) {
        requests.set(d.value.id, d.value);
      }
    }
    for (const v of vectors.valid.filter(x => x.kind === 'reply')) {
      const reply = decodeReply(v.message);
      expect(reply.ok).toBe(true);
      if (reply.ok && reply.value.ok) {
        const op: Op = requests.get(reply.value.id)!.op;
        const result = decodeResult(op, reply.value.result);
        if (!result.ok) {
          throw new Error(`${v.name}: ${result.error}`);
        }
      }
    }
  });
});

describe('decoders', () => {
  it('reads the failing build result the way a user sees it', () => {
    const d = decodeBuildResult(
      vectors.valid.find(v => v.name === 'build result error')!.message
    );
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

  it('rejects a list_pins result with a malformed row', () => {
    const d = decodeResult('list_pins', {
      cache_dir: '/c',
      pins: [{ alias: 'a', key: 1 }]
    });
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.error).toBe('result.pins[0].key: expected a string');
    }
  });

  it('builds the pip line from the python repr', () => {
    expect(pipInstallLine("'/opt/env/bin/python'")).toBe(
      '"/opt/env/bin/python" -m pip install cython-pin'
    );
  });
});
