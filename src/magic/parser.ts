import { Profile, PROFILES } from '../protocol';

export const MAGIC_NAMES = ['cython_pin', 'cython'] as const;
export type MagicName = (typeof MAGIC_NAMES)[number];

/** What the first line of a magic cell says. */
export interface IMagicLine {
  magic: MagicName;
  /** Everything after the magic name, as typed. */
  argString: string;
  args: string[];
  /** The positional alias of `%%cython_pin ALIAS …` (the magic pins it). */
  alias: string | null;
  /** `--name NAME` / `-n NAME`. */
  moduleName: string | null;
  /** `--profile X`, or `annotate` when `--annotate`/`-a`/`--annotate-fullc` is given. */
  profile: Profile | null;
  annotate: boolean;
}

/** Split an argument string like a POSIX shell would (quotes, no globbing). */
export function shellSplit(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[1] !== undefined) {
      out.push(m[1].replace(/\\(.)/g, '$1'));
    } else if (m[2] !== undefined) {
      out.push(m[2]);
    } else {
      out.push(m[3]);
    }
  }
  return out;
}

/**
 * Options of `%%cython_pin` / `%%cython` that take a value (Cython's
 * `%%cython` options and cython_pin's own; the rest are flags such as `-3`).
 */
const VALUE_OPTIONS = new Set([
  '--profile',
  '--name',
  '-n',
  '-I',
  '--include',
  '-l',
  '--lib',
  '-L',
  '--library-dir',
  '-c',
  '--compile-args',
  '--link-args',
  '-S',
  '--src'
]);

/** First positional argument (not an option nor an option's value). */
function firstPositional(args: string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) {
        i++;
      }
      continue;
    }
    return a;
  }
  return null;
}

/** Parse the first line of a cell; null when it is not a cython magic. */
export function parseMagicLine(source: string): IMagicLine | null {
  const first = source.split('\n', 1)[0].replace(/\r$/, '');
  const m = /^%%(cython_pin|cython)(?:\s+(.*))?\s*$/.exec(first);
  if (!m) {
    return null;
  }
  const argString = (m[2] ?? '').trim();
  const args = shellSplit(argString);
  const value = (...names: string[]): string | null => {
    for (let i = 0; i < args.length; i++) {
      for (const n of names) {
        if (args[i] === n && i + 1 < args.length) {
          return args[i + 1];
        }
        if (n.startsWith('--') && args[i].startsWith(`${n}=`)) {
          return args[i].slice(n.length + 1);
        }
      }
    }
    return null;
  };
  const annotate = args.some(a =>
    ['--annotate', '-a', '--annotate-fullc'].includes(a)
  );
  const profileArg = value('--profile');
  const profile = PROFILES.includes(profileArg as Profile)
    ? (profileArg as Profile)
    : annotate
      ? 'annotate'
      : null;
  return {
    magic: m[1] as MagicName,
    argString,
    args,
    alias: m[1] === 'cython_pin' ? firstPositional(args) : null,
    moduleName: value('--name', '-n'),
    profile,
    annotate: annotate || profile === 'annotate'
  };
}

/** True when the cell starts with `%%cython_pin` or `%%cython`. */
export function isMagicCell(source: string): boolean {
  return parseMagicLine(source) !== null;
}

/**
 * The source the Compile command runs: unchanged when it already has the
 * magic line, else prefixed with `%%cython_pin` (+ `--profile X` unless the
 * default profile is fast-debug).
 */
export function withMagicLine(source: string, defaultProfile: Profile): string {
  if (isMagicCell(source)) {
    return source;
  }
  const head =
    defaultProfile === 'fast-debug'
      ? '%%cython_pin'
      : `%%cython_pin --profile ${defaultProfile}`;
  return `${head}\n${source}`;
}

/** Whether the cell has code besides a `%%cython_pin` line (an empty cell has nothing to compile). */
export function hasCodeToCompile(source: string): boolean {
  const body = isMagicCell(source)
    ? source.slice(source.indexOf('\n') + 1 || source.length)
    : source;
  return body.trim() !== '';
}
