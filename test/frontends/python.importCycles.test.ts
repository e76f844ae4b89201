/**
 * The Python frontend's modules import each other without cycles (issue 11, "The code's
 * shape"): a cycle makes a file's meaning depend on module load order and keeps its parts
 * from being read, tested or moved on their own. Type-only imports count too: they tie the
 * files together just the same.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../server/src/core/frontends/python');

function typeScriptFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The file a relative specifier names (`./x` → x.ts or x/index.ts), or undefined when none exists. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  return [`${base}.ts`, path.join(base, 'index.ts'), base].find((f) => f.endsWith('.ts') && fs.existsSync(f));
}

/** Each file of `root` → the files of `root` it imports or re-exports from (relative specifiers only). */
export function importGraph(root: string): Map<string, string[]> {
  const files = typeScriptFiles(root);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolveRelative(file, s))
      .filter((t): t is string => t !== undefined && t.startsWith(root + path.sep));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** One cycle of the graph as a path that ends where it starts, or undefined when it is acyclic. */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const at = onPath.indexOf(node);
    if (at >= 0) return [...onPath.slice(at), node];
    if (done.has(node)) return undefined;
    onPath.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    onPath.pop();
    done.add(node);
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('Python frontend: module structure', () => {
  it('finds a cycle when there is one (the check itself)', () => {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    assert.deepEqual(findCycle(graph), ['a', 'b', 'c', 'a']);
    assert.equal(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), undefined);
  });

  it('reads the real import graph (parse.ts reaches the interpreter)', () => {
    const graph = importGraph(ROOT);
    assert.ok(graph.size >= 20, `only ${graph.size} files found under ${ROOT}`);
    const reached = new Set<string>();
    const walk = (f: string): void => {
      if (reached.has(f)) return;
      reached.add(f);
      for (const g of graph.get(f) ?? []) walk(g);
    };
    walk(path.join(ROOT, 'parse.ts'));
    assert.ok([...reached].some((f) => path.basename(f) === 'interpreter.ts'), 'parse.ts does not reach interpreter.ts through its imports');
  });

  it('has no import cycle inside server/src/core/frontends/python/', () => {
    const cycle = findCycle(importGraph(ROOT));
    assert.equal(cycle, undefined, `import cycle: ${cycle?.map((f) => path.relative(ROOT, f)).join(' → ')}`);
  });
});
