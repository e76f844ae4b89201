/**
 * The import graph of a set of workspace modules: for each module, the workspace modules
 * its import statements name (resolved as the interpreter resolves them, resolve.ts). The
 * language server keeps it for its workspace folders (lsp/workspaceIndex.ts): a module
 * changed on disk re-analyses every open document that imports it, directly or not, even
 * where an analysis stopped reading at its module budget.
 */
import type { PythonParser } from '../syntax/parsedTree';
import type { TreeReaderFactory } from '../syntax/nodeStore';
import type { Node } from '../syntax/syntax';
import type { PythonWorkspace } from './input';
import { ModuleResolver } from './resolve';

/** What `path` imports from the workspace (module files), read from its import statements. */
export function importsOf(workspace: PythonWorkspace, parser: PythonParser, path: string, readers?: TreeReaderFactory): string[] {
  const resolver = new ModuleResolver({ ...workspace, documentPath: path });
  const file = resolver.read(path);
  const parsed = file ? workspace.modules.parsed(path, file, parser, readers) : undefined;
  if (!parsed) return [];
  const out = new Set<string>();
  const add = (dotted: string, level: number) => {
    const found = resolver.resolve(dotted, level, path);
    if (found) out.add(found);
    return found;
  };
  const visit = (statements: readonly Node[], depth: number) => {
    for (const statement of statements) {
      if (statement.type === 'import_statement') {
        for (const child of statement.namedChildren) {
          const name = child.type === 'aliased_import' ? child.childForFieldName('name') : child.type === 'dotted_name' ? child : null;
          if (name) add(name.text, 0);
        }
      } else if (statement.type === 'import_from_statement') {
        const moduleNode = statement.childForFieldName('module_name');
        if (!moduleNode) continue;
        let level = 0;
        let dotted = moduleNode.text;
        if (moduleNode.type === 'relative_import') {
          level = moduleNode.namedChildren.find((c) => c.type === 'import_prefix')?.text.length ?? 0;
          dotted = moduleNode.namedChildren.find((c) => c.type === 'dotted_name')?.text ?? '';
        }
        const module = add(dotted, level);
        // `from pkg import sub`: a submodule when the package does not define the name.
        if (!module || module.endsWith('/__init__.py')) {
          for (const child of statement.childrenForFieldName('name')) {
            const name = (child.type === 'aliased_import' ? child.childForFieldName('name') : child)?.text;
            if (name) add(dotted === '' ? name : `${dotted}.${name}`, level);
          }
        }
      } else if (depth < 2 && (statement.type === 'try_statement' || statement.type === 'if_statement' || statement.type === 'block')) {
        visit(statement.namedChildren, depth + 1);
      }
    }
  };
  visit(parsed.statements, 0);
  return [...out];
}

export class ImportGraph {
  private readonly edges = new Map<string, readonly string[]>();
  private readonly importers = new Map<string, Set<string>>();

  get size(): number {
    return this.edges.size;
  }

  /** Reads (or reads again) what `path` imports. */
  update(workspace: PythonWorkspace, parser: PythonParser, path: string, readers?: TreeReaderFactory): void {
    this.remove(path);
    const targets = importsOf(workspace, parser, path, readers);
    this.edges.set(path, targets);
    for (const target of targets) {
      let set = this.importers.get(target);
      if (!set) this.importers.set(target, (set = new Set()));
      set.add(path);
    }
  }

  remove(path: string): void {
    for (const target of this.edges.get(path) ?? []) this.importers.get(target)?.delete(path);
    this.edges.delete(path);
  }

  /** Every module that imports `path`, directly or through others. */
  importersOf(path: string): Set<string> {
    const out = new Set<string>();
    const queue = [path];
    while (queue.length > 0) {
      for (const importer of this.importers.get(queue.pop()!) ?? []) {
        if (out.has(importer)) continue;
        out.add(importer);
        queue.push(importer);
      }
    }
    return out;
  }
}
