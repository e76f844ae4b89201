/**
 * The CLI's two Python parsers side by side (issue 16, cli/pythonParser.ts): the native
 * tree-sitter binding and web-tree-sitter, on torchvision's `models/` (60 files). Per
 * round, each loader parses every file, then parses it and reads its whole tree into the
 * engine's store (syntax/nodeStore.ts: the native reader walks the tree once when the store
 * is made; the WebAssembly one a node's children at a time, here all of them). Rounds
 * alternate the loaders, and each figure is the median CPU time (user + system) of the
 * round, so the load of a shared machine counts less than in wall time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PythonSupport } from '../server/src/core/frontends/types';
import { parserText } from '../server/src/core/frontends/python/syntax/parserText';
import { type Node, SyntaxTree } from '../server/src/core/frontends/python/syntax/syntax';
import { loadNativePythonSupport } from '../server/src/host/nativeTreeSitter';
import { loadPythonSupport } from '../server/src/host/treeSitter';
import { median } from './stats';
import { TORCHVISION_MODELS } from './torchvision';

export interface LoaderFigures {
  /** Median CPU ms of one round: parse every file. */
  readonly parseMs: number;
  /** Median CPU ms of one round: parse every file and read every node into the store. */
  readonly parseAndReadMs: number;
  readonly nodes: number;
}

export interface ParserLoadersBench {
  readonly files: number;
  readonly native: LoaderFigures | undefined;
  readonly nativeMissing?: string;
  readonly wasm: LoaderFigures;
}

function pythonFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...pythonFilesUnder(full));
    else if (entry.name.endsWith('.py')) out.push(full);
  }
  return out.sort();
}

function cpuMs(work: () => void): number {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Every node of the tree, children first read through the engine's store. */
function readAll(root: Node): number {
  let count = 0;
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    count++;
    for (const child of node.children) stack.push(child);
  }
  return count;
}

export async function benchParserLoaders(rounds = 9): Promise<ParserLoadersBench | undefined> {
  if (!fs.existsSync(TORCHVISION_MODELS)) return undefined;
  const texts = pythonFilesUnder(TORCHVISION_MODELS).map((file) => parserText(fs.readFileSync(file, 'utf8')));
  const wasm = await loadPythonSupport();
  let native: PythonSupport | undefined;
  let nativeMissing: string | undefined;
  try {
    native = loadNativePythonSupport();
  } catch (error) {
    nativeMissing = error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
  const loaders = native ? [['native', native], ['wasm', wasm]] as const : [['wasm', wasm]] as const;
  const samples = new Map<string, { parse: number[]; read: number[]; nodes: number }>();
  for (let round = 0; round < rounds + 1; round++) {
    for (const [name, support] of round % 2 === 0 ? loaders : [...loaders].reverse()) {
      const entry = samples.get(name) ?? { parse: [], read: [], nodes: 0 };
      samples.set(name, entry);
      const parse = cpuMs(() => {
        for (const text of texts) support.parser.parse(text)?.delete();
      });
      let nodes = 0;
      const read = cpuMs(() => {
        for (const text of texts) {
          const tree = support.parser.parse(text)!;
          nodes += readAll(new SyntaxTree(tree, text, 0, support.treeReaders).root);
          tree.delete();
        }
      });
      if (round === 0) continue; // warm-up
      entry.parse.push(parse);
      entry.read.push(read);
      entry.nodes = nodes;
    }
  }
  const figures = (name: string): LoaderFigures => {
    const entry = samples.get(name)!;
    return { parseMs: median(entry.parse), parseAndReadMs: median(entry.read), nodes: entry.nodes };
  };
  return { files: texts.length, native: native ? figures('native') : undefined, ...(nativeMissing ? { nativeMissing } : {}), wasm: figures('wasm') };
}
