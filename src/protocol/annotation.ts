/** The decoder of an annotation (build results, prebuild_state events). */
import { Annotation } from '../_generated/protocol';
import { arr, int, num, rec, str } from './decode';

export function annotation(v: unknown, path: string): Annotation {
  const a = rec(v, path);
  return {
    max_score: num(a.max_score, `${path}.max_score`),
    lines: arr(a.lines, `${path}.lines`, (l, lp) => {
      const r = rec(l, lp);
      return {
        line: int(r.line, `${lp}.line`),
        score: num(r.score, `${lp}.score`),
        source: str(r.source, `${lp}.source`),
        c_code: str(r.c_code, `${lp}.c_code`)
      };
    }),
    ...(a.full_c !== undefined
      ? { full_c: str(a.full_c, `${path}.full_c`) }
      : {})
  };
}
