/**
 * The workspace folders the client opened, as file-system paths, so the editor's
 * path-dependent settings (`initwise.perFileIgnores`, `initwise.exclude`) are matched
 * relative to the folder that holds each document (the longest containing folder wins in
 * a multi-root workspace). Clients without folders send a rootUri or nothing.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InitializeParams, WorkspaceFoldersChangeEvent } from 'vscode-languageserver/node';

function toPath(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

export class WorkspaceFolders {
  private folders: string[] = [];

  initialize(params: InitializeParams): void {
    const uris = params.workspaceFolders?.map((folder) => folder.uri) ?? (params.rootUri ? [params.rootUri] : []);
    this.folders = uris.map(toPath).filter((p): p is string => p !== undefined);
  }

  change(event: WorkspaceFoldersChangeEvent): void {
    const removed = new Set(event.removed.map((folder) => toPath(folder.uri)));
    this.folders = [...this.folders.filter((folder) => !removed.has(folder)), ...event.added.map((f) => toPath(f.uri)).filter((p): p is string => p !== undefined)];
  }

  /** Every workspace folder, as a file-system path. */
  all(): readonly string[] {
    return this.folders;
  }

  /** The innermost workspace folder containing the document, if any. */
  rootFor(uri: string): string | undefined {
    const file = toPath(uri);
    if (file === undefined) return undefined;
    let best: string | undefined;
    for (const folder of this.folders) {
      const relative = path.relative(folder, file);
      if (relative.startsWith('..') || path.isAbsolute(relative)) continue;
      if (best === undefined || folder.length > best.length) best = folder;
    }
    return best;
  }
}
