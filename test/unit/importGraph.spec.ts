/**
 * The layout rules of src/ (issue 9 §3): no import cycle between modules, no
 * cycle between feature folders, no file over the size limit. Reads the
 * sources as text, so type-only imports count too; src/_generated/ is written
 * by `npm run generate` and left out.
 */
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.join(__dirname, '..', '..', 'src');
const MAX_LINES = 400;

function sourceFiles(dir = SRC): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '_generated') {
        out.push(...sourceFiles(full));
      }
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out;
}

/** Relative imports of one file, resolved to files under src/. */
export function localImports(file: string, text: string): string[] {
  const specs = [
    ...text.matchAll(/(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/import\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)
  ].map(m => m[1]);
  const out: string[] = [];
  for (const spec of specs) {
    if (!spec.startsWith('.')) {
      continue;
    }
    const base = path.resolve(path.dirname(file), spec);
    const found = [
      `${base}.ts`,
      `${base}.tsx`,
      path.join(base, 'index.ts')
    ].find(f => fs.existsSync(f));
    if (found) {
      out.push(found);
    }
  }
  return out;
}

/** Every cycle's members (strongly connected components of size > 1, or self-loops). */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) {
        found.push(scc.sort());
      }
    }
  };
  for (const v of graph.keys()) {
    if (!indices.has(v)) {
      visit(v);
    }
  }
  return found;
}

/** A file's folder under src/ (files at the top level are their own node). */
function folderOf(file: string): string {
  const rel = path.relative(SRC, file);
  const parts = rel.split(path.sep);
  return parts.length > 1 ? `${parts[0]}/` : rel;
}

function graphs() {
  const modules = new Map<string, Set<string>>();
  const folders = new Map<string, Set<string>>();
  for (const file of sourceFiles()) {
    const deps = localImports(file, fs.readFileSync(file, 'utf-8'));
    const rel = path.relative(SRC, file);
    modules.set(rel, new Set(deps.map(d => path.relative(SRC, d))));
    const from = folderOf(file);
    const edges = folders.get(from) ?? new Set<string>();
    for (const d of deps) {
      const to = folderOf(d);
      if (to !== from) {
        edges.add(to);
      }
    }
    folders.set(from, edges);
  }
  return { modules, folders };
}

describe('src/ layout', () => {
  it('finds cycles when there are some (the checker works)', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])]
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c']]);
    expect(
      localImports(path.join(SRC, 'index.ts'), "import { x } from './tokens';")
    ).toEqual([path.join(SRC, 'tokens.ts')]);
  });

  it('has no import cycle between modules', () => {
    const { modules } = graphs();
    expect(modules.size).toBeGreaterThan(20);
    expect(cycles(modules)).toEqual([]);
  });

  it('has no import cycle between feature folders', () => {
    const { folders } = graphs();
    expect(folders.has('compile/')).toBe(true);
    expect(cycles(folders)).toEqual([]);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const long = sourceFiles()
      .map(f => ({
        file: path.relative(SRC, f),
        lines: fs.readFileSync(f, 'utf-8').split('\n').length
      }))
      .filter(f => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
