/**
 * A workspace of files held in memory for analyze() (AnalysisInput.python.workspace): the
 * engine asks for modules by path, as the language server's and the CLI's providers answer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModuleCache, type PythonWorkspace } from '../../server/src/core/frontends/python/parse';
import type { PythonSupport } from '../../server/src/core/frontends/types';

export const WORKSPACE_ROOT = '/project';

export class MemoryFiles {
  private readonly versions = new Map<string, number>();
  readonly files = new Map<string, string>();
  reads = 0;

  constructor(files: Readonly<Record<string, string>>) {
    for (const [name, text] of Object.entries(files)) this.set(name, text);
  }

  set(name: string, text: string): void {
    const full = `${WORKSPACE_ROOT}/${name}`;
    this.files.set(full, text);
    this.versions.set(full, (this.versions.get(full) ?? 0) + 1);
  }

  delete(name: string): void {
    this.files.delete(`${WORKSPACE_ROOT}/${name}`);
  }

  text(name: string): string {
    return this.files.get(`${WORKSPACE_ROOT}/${name}`)!;
  }

  /** The workspace of one document (`main.py`), with a module cache of its own or the one given. */
  workspace(document: string, modules = new ModuleCache()): PythonWorkspace {
    return {
      documentPath: `${WORKSPACE_ROOT}/${document}`,
      projectRoots: [WORKSPACE_ROOT],
      modules,
      sources: {
        read: (p) => {
          this.reads++;
          const text = this.files.get(p);
          return text === undefined ? undefined : { text, version: `${p}@${this.versions.get(p)}` };
        },
      },
    };
  }

  /** analyze()'s python input for one document. */
  python(support: PythonSupport, document: string, modules?: ModuleCache): PythonSupport {
    return { ...support, workspace: this.workspace(document, modules) };
  }
}

/** The files of a fixture folder (relative path → text). */
export function folderFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) visit(full);
      else out[path.relative(dir, full).split(path.sep).join('/')] = fs.readFileSync(full, 'utf8');
    }
  };
  visit(dir);
  return out;
}
