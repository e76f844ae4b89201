/**
 * The Python frontend reads syntax trees into flat arrays (syntax/nodeStore.ts), through
 * the host's fast reader (host/treeReader.ts: the binding's cursor functions called
 * directly) or, without one, web-tree-sitter's public TreeCursor. Both must read exactly
 * what web-tree-sitter's Node API reports, node by node: type, extent, text, named,
 * missing, has-error, children, named children, every field (tree-sitter's first child
 * in the field, and all of them), descendants of a type, the named node at an extent.
 * Checked on every Python fixture and example, the benchmark's file, and the same texts
 * cut at random places (ERROR and MISSING nodes). The native binding's trees (the CLI's
 * parser, host/nativeTreeReader.ts) are read into the same store and compared with
 * web-tree-sitter's Node API on the same text.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Node as TreeSitterNode, Tree } from 'web-tree-sitter';
import type { WebPythonSupport } from '../../server/src/host/treeSitter';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { loadNativePythonSupport } from '../../server/src/host/nativeTreeSitter';
import { type Node, SyntaxTree } from '../../server/src/core/frontends/python/syntax/syntax';
import { generatePython } from '../../bench/generatePython';
import { pythonFiles, pythonSupport } from '../support/python';

const root = path.resolve(__dirname, '..', '..');

/** Small texts at tree-sitter's edges: empty, errors at the start, missing tokens, Unicode names, CRLF. */
const EDGES = [
  '',
  ')',
  '(',
  'def f(:\n    pass\n',
  'x = [1, 2\ny = 3\n',
  'class Net(nn.Module:\n    def __init__(self):\n        self.fc = nn.Linear(3, 4)\n',
  'größe = 3\nschicht = nn.Linear(größe, 4)\n',
  'a = 1\r\nb = a + 2\r\n',
  'if x:\n  y = 1\n else:\n  y = 2\n',
  'print "py2"\nlambda: (yield)\n',
  'x = f(a, *b, **c, d=1)\n',
  // Anonymous nodes with children (`not in`, `is not`: aliases of two tokens), whose ends the
  // native reader reads, beside anonymous leaves, whose ends it takes from their type's name.
  'if a not in b and c is not d:\n    x = f"{a!r:>10} \\n" + b"\\x00" @ m\n    y = -a ** 2 // 3 if a <> b else lambda *, k=1: k\nprint >>f, x\n',
];

/** Deterministic cuts: a few characters removed at spread-out places (broken syntax on purpose). */
function cuts(text: string): string[] {
  if (text.length < 20) return [];
  const out: string[] = [];
  for (let k = 1; k <= 3; k++) {
    const at = Math.floor((text.length * k) / 4);
    out.push(text.slice(0, at) + text.slice(at + 3 + k));
  }
  return out;
}

function same(ours: Node | null, theirs: TreeSitterNode | null, where: string): void {
  if (!theirs) {
    assert.equal(ours, null, where);
    return;
  }
  assert.ok(ours, `${where}: missing`);
  assert.deepEqual([ours.type, ours.startIndex, ours.endIndex], [theirs.type, theirs.startIndex, theirs.endIndex], where);
}

/** Compares the whole tree, node by node (descendant queries on statements and their direct children). */
function compare(syntax: SyntaxTree, tree: Tree, text: string, label: string): number {
  let nodes = 0;
  const visit = (ours: Node, theirs: TreeSitterNode, depth: number) => {
    nodes++;
    const where = `${label} at ${theirs.startIndex}-${theirs.endIndex} (${theirs.type})`;
    same(ours, theirs, where);
    assert.equal(ours.text, theirs.text, where);
    assert.equal(ours.isNamed, theirs.isNamed, `${where}: named`);
    assert.equal(ours.isMissing, theirs.isMissing, `${where}: missing`);
    assert.equal(ours.hasError, theirs.hasError, `${where}: has error`);
    const children = theirs.children.filter((c): c is TreeSitterNode => c !== null);
    assert.equal(ours.children.length, children.length, `${where}: children`);
    assert.equal(ours.namedChildren.length, theirs.namedChildren.length, `${where}: named children`);
    theirs.namedChildren.forEach((c, i) => same(ours.namedChildren[i]!, c, `${where}: named child ${i}`));
    const fields = new Set<string>(['nonexistent_field', 'body', 'name']);
    for (let i = 0; i < children.length; i++) {
      const field = theirs.fieldNameForChild(i);
      if (field) fields.add(field);
    }
    for (const field of fields) {
      same(ours.childForFieldName(field), theirs.childForFieldName(field), `${where}: field ${field}`);
      const all = theirs.childrenForFieldName(field);
      assert.equal(ours.childrenForFieldName(field).length, all.length, `${where}: all of field ${field}`);
      all.forEach((c, i) => same(ours.childrenForFieldName(field)[i]!, c, `${where}: field ${field} #${i}`));
    }
    if (depth <= 2) {
      for (const type of ['identifier', 'call', 'ERROR', 'assignment', 'module', 'block']) {
        const expected = theirs.descendantsOfType(type).filter((c): c is TreeSitterNode => c !== null);
        const got = ours.descendantsOfType(type);
        assert.equal(got.length, expected.length, `${where}: descendants of type ${type}`);
        expected.forEach((c, i) => same(got[i]!, c, `${where}: descendant ${type} #${i}`));
      }
    }
    children.forEach((c, i) => visit(ours.children[i]!, c, depth + 1));
  };
  visit(syntax.root, tree.rootNode, 0);
  // The named node at each identifier's extent, at empty extents around it, and at every 97th offset.
  const extents: [number, number][] = [];
  for (const id of tree.rootNode.descendantsOfType('identifier')) {
    if (id) extents.push([id.startIndex, id.endIndex], [id.startIndex, id.startIndex], [id.endIndex, id.endIndex]);
  }
  for (let at = 0; at < text.length; at += 97) extents.push([at, Math.min(text.length, at + 5)]);
  for (const [start, end] of extents) {
    same(syntax.root.namedDescendantForIndex(start, end), tree.rootNode.namedDescendantForIndex(start, end), `${label}: named descendant for ${start}-${end}`);
  }
  return nodes;
}

describe('Python: the syntax tree read into flat arrays is web-tree-sitter\'s', function () {
  this.timeout(300_000);
  let python: WebPythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  const files = [...pythonFiles(path.join(root, 'test', 'fixtures')), ...pythonFiles(path.join(root, 'examples'))];
  const texts: [string, string][] = [
    ...EDGES.map((t, i): [string, string] => [`edge ${i}`, t]),
    ...files.flatMap((f): [string, string][] => {
      const text = fs.readFileSync(f, 'utf8');
      const name = path.relative(root, f);
      return [[name, text], ...cuts(text).map((t, i): [string, string] => [`${name} cut ${i}`, t])];
    }),
    ['bench file', generatePython(600)],
  ];

  it('the host hands in its fast reader', () => {
    assert.ok(python.treeReaders, 'loadPythonSupport() gave no fast tree reader: the engine fell back on the public API');
  });

  for (const reader of ['fast', 'public'] as const) {
    it(`reads every node as the Node API does (${reader} reader)`, () => {
      let nodes = 0;
      for (const [label, text] of texts) {
        const tree = python.parser.parse(text)!;
        try {
          const syntax = new SyntaxTree(tree, text, 0, reader === 'fast' ? python.treeReaders : undefined);
          nodes += compare(syntax, tree, text, `${label} (${reader})`);
        } finally {
          tree.delete();
        }
      }
      assert.ok(nodes > 50_000, `only ${nodes} nodes compared`);
    });
  }

  it('keeps its tree alive while the syntax tree is reachable (web-tree-sitter deletes unreachable Trees)', async () => {
    const text = generatePython(40);
    const expected = python.parser.parse(text)!;
    // Dropped without delete(): a TreeCursor (web-tree-sitter 0.27's finalizer for it frees
    // whatever cursor is in the transfer buffer when it runs) and a syntax tree read through
    // the public API (its cursors).
    (() => {
      const dropped = python.parser.parse(text)!;
      dropped.walk().gotoFirstChild();
      assert.ok(new SyntaxTree(dropped, text).root.children.length > 0);
    })();
    // The syntax tree is all that refers to its Tree, and the fast reader's cursor was the
    // last in the transfer buffer; collect garbage, let finalizers run, and parse other text
    // into the memory a deleted tree or cursor would have freed.
    const syntax = new SyntaxTree(python.parser.parse(text)!, text, 0, python.treeReaders);
    assert.ok(syntax.root.children.length > 0);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    for (let i = 0; i < 6; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (let i = 0; i < 20; i++) python.parser.parse(generatePython(5 + i))!.delete();
    try {
      const nodes = compare(syntax, expected, text, 'after garbage collection');
      assert.ok(nodes > 500, `only ${nodes} nodes compared`);
    } finally {
      expected.delete();
    }
  });

  it('a read of a deleted tree is an error, not a read of freed memory', () => {
    const text = 'import torch.nn as nn\nlayer = nn.Linear(3, 4)\n';
    const tree = python.parser.parse(text)!;
    const syntax = new SyntaxTree(tree, text, 0, python.treeReaders);
    tree.delete();
    assert.throws(() => syntax.root.children, /the syntax tree was deleted/);
  });

  it('offsets of an imported module carry its base', () => {
    const text = 'import torch.nn as nn\nlayer = nn.Linear(3, 4)\n';
    const tree = python.parser.parse(text)!;
    try {
      const base = 7 * 2 ** 32;
      const syntax = new SyntaxTree(tree, text, base, python.treeReaders);
      const call = syntax.root.descendantsOfType('call')[0]!;
      assert.deepEqual([call.startIndex - base, call.endIndex - base, call.text], [30, 45, 'nn.Linear(3, 4)']);
      assert.equal(syntax.root.namedDescendantForIndex(base + 30, base + 32)?.text, 'nn');
    } finally {
      tree.delete();
    }
  });
});

describe('Python: the native binding\'s trees read into flat arrays are web-tree-sitter\'s', function () {
  this.timeout(300_000);
  let python: WebPythonSupport;
  let native: PythonSupport;
  before(async function () {
    python = await pythonSupport();
    try {
      native = loadNativePythonSupport();
    } catch (error) {
      // An install where node-gyp could not build the optional binding: the CLI uses WebAssembly.
      console.warn(`    native tree-sitter binding not loadable, skipped: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      this.skip();
    }
  });

  const files = [...pythonFiles(path.join(root, 'test', 'fixtures')), ...pythonFiles(path.join(root, 'examples'))];
  const texts: [string, string][] = [
    ...EDGES.map((t, i): [string, string] => [`edge ${i}`, t]),
    ...files.flatMap((f): [string, string][] => {
      const text = fs.readFileSync(f, 'utf8');
      const name = path.relative(root, f);
      return [[name, text], ...cuts(text).map((t, i): [string, string] => [`${name} cut ${i}`, t])];
    }),
    ['bench file', generatePython(600)],
  ];

  it('reads every node as the Node API does (native reader)', () => {
    let nodes = 0;
    for (const [label, text] of texts) {
      const expected = python.parser.parse(text)!;
      const tree = native.parser.parse(text)!;
      try {
        assert.equal(tree.rootNode.hasError, expected.rootNode.hasError, `${label}: has error`);
        nodes += compare(new SyntaxTree(tree, text, 0, native.treeReaders), expected, text, `${label} (native)`);
      } finally {
        tree.delete();
        expected.delete();
      }
    }
    assert.ok(nodes > 50_000, `only ${nodes} nodes compared`);
  });

  it('a copy reads the same store after the original is deleted and garbage is collected; a deleted copy refuses to read', async () => {
    for (const text of [generatePython(40), 'class Net(nn.Module:\n    def __init__(self):\n        self.fc = nn.Linear(3, 4)\n']) {
      const expected = python.parser.parse(text)!;
      const original = native.parser.parse(text)!;
      const first = new SyntaxTree(original, text, 0, native.treeReaders);
      const copy = original.copy();
      original.delete();
      assert.throws(() => new SyntaxTree(original, text, 0, native.treeReaders), /the syntax tree was deleted/);
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      for (let i = 0; i < 4; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (let i = 0; i < 10; i++) native.parser.parse(generatePython(5 + i))!.delete();
      try {
        const again = new SyntaxTree(copy, text, 7 * 2 ** 32, native.treeReaders);
        assert.equal(again.store, first.store, 'the copy shares the store read once');
        compare(new SyntaxTree(copy, text, 0, native.treeReaders), expected, text, 'copy after garbage collection');
        copy.delete();
        assert.throws(() => new SyntaxTree(copy, text, 0, native.treeReaders), /the syntax tree was deleted/);
      } finally {
        expected.delete();
      }
    }
  });
});
