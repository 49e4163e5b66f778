/**
 * Decoding requests is what the kernel does; the extension only sends them.
 * Tests (the fake helper, the shared vectors) decode them with this.
 */
import {
  bool,
  Decoded,
  fail,
  int,
  JSONRecord,
  nonEmpty,
  num,
  oneOf,
  optionalNullable,
  rec,
  run,
  str
} from '../../../src/protocol/decode';
import { IOpArgs, IRequest, Op, OPS } from '../../../src/protocol';

/** The optional team flag, when given. */
function team(a: JSONRecord): { team?: boolean } {
  return a.team === undefined ? {} : { team: bool(a.team, 'args.team') };
}

function argsFor<K extends Op>(op: K, a: JSONRecord): IOpArgs[K] {
  const p = 'args';
  const only = (...names: string[]) => {
    for (const name of Object.keys(a)) {
      if (!names.includes(name)) {
        fail(`${p}.${name}`, 'no such argument');
      }
    }
  };
  switch (op) {
    case 'hello':
    case 'list_pins':
    case 'list_cached':
    case 'cache_stats':
    case 'catalogue':
    case 'team_catalogue':
      only();
      return {} as IOpArgs[K];
    case 'pin': {
      only('key', 'alias', 'overwrite', 'team');
      const out: IOpArgs['pin'] = {
        key: nonEmpty(a.key, `${p}.key`),
        alias: nonEmpty(a.alias, `${p}.alias`)
      };
      if (a.overwrite !== undefined) {
        out.overwrite = bool(a.overwrite, `${p}.overwrite`);
      }
      if (a.team !== undefined) {
        out.team = bool(a.team, `${p}.team`);
      }
      return out as IOpArgs[K];
    }
    case 'unpin':
    case 'import_pinned':
      only('alias', 'team');
      return {
        alias: nonEmpty(a.alias, `${p}.alias`),
        ...team(a)
      } as IOpArgs[K];
    case 'rename_pin':
      only('old', 'new', 'team');
      return {
        old: nonEmpty(a.old, `${p}.old`),
        new: nonEmpty(a.new, `${p}.new`),
        ...team(a)
      } as IOpArgs[K];
    case 'prebuild': {
      only('cell_id', 'generation', 'source');
      const generation = int(a.generation, `${p}.generation`);
      if (generation < 0) {
        fail(`${p}.generation`, 'an integer >= 0');
      }
      return {
        cell_id: nonEmpty(a.cell_id, `${p}.cell_id`),
        generation,
        source: str(a.source, `${p}.source`)
      } as IOpArgs[K];
    }
    case 'gc_cache': {
      only('max_bytes', 'max_age_days', 'keep_n_newest', 'dry_run');
      const out: IOpArgs['gc_cache'] = {
        dry_run: bool(a.dry_run, `${p}.dry_run`)
      };
      const mb = optionalNullable(int)(a.max_bytes, `${p}.max_bytes`);
      const age = optionalNullable(num)(a.max_age_days, `${p}.max_age_days`);
      const keep = optionalNullable(int)(a.keep_n_newest, `${p}.keep_n_newest`);
      if (mb !== undefined) {
        out.max_bytes = mb;
      }
      if (age !== undefined) {
        out.max_age_days = age;
      }
      if (keep !== undefined) {
        out.keep_n_newest = keep;
      }
      return out as IOpArgs[K];
    }
  }
  return fail('op', `one of ${OPS.join(', ')}`);
}

export function decodeRequest(value: unknown): Decoded<IRequest> {
  return run(() => {
    const m = rec(value, 'message');
    if (m.type !== 'request') {
      fail('type', '"request"');
    }
    const id = nonEmpty(m.id, 'id');
    const op = oneOf(m.op, 'op', OPS);
    const args = argsFor(op, rec(m.args, 'args'));
    return { type: 'request', id, op, args } as IRequest;
  });
}
