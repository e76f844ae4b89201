/**
 * `.gitignore` files, honoured when walking folders (as Ruff does): a file git ignores is
 * a build product, a checkpoint copy or a virtualenv, not a design someone maintains. The
 * patterns follow git's rules (the `ignore` package); each file applies below its own
 * folder. Above the walked folder, the .gitignore files up to the repository root count
 * too, so `initwise check src` skips what `git status` skips.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';

interface Layer {
  readonly base: string;
  readonly rules: Ignore;
}

export class GitignoreStack {
  private readonly cache = new Map<string, Layer | null>();
  private readonly chains = new Map<string, readonly string[]>();

  /** The .gitignore of one folder (cached), or undefined. */
  private layerFor(folder: string): Layer | undefined {
    const cached = this.cache.get(folder);
    if (cached !== undefined) return cached ?? undefined;
    let layer: Layer | null = null;
    try {
      const text = fs.readFileSync(path.join(folder, '.gitignore'), 'utf8');
      layer = { base: folder, rules: ignore().add(text) };
    } catch {
      layer = null;
    }
    this.cache.set(folder, layer);
    return layer ?? undefined;
  }

  /** Folders from the repository root (the nearest ancestor with `.git`) down to `folder`; just `folder` outside a repository. */
  private chain(folder: string): readonly string[] {
    const cached = this.chains.get(folder);
    if (cached) return cached;
    const chain = this.findChain(folder);
    this.chains.set(folder, chain);
    return chain;
  }

  private findChain(folder: string): string[] {
    const up: string[] = [];
    let current = folder;
    for (;;) {
      up.push(current);
      if (fs.existsSync(path.join(current, '.git'))) return up.reverse();
      const parent = path.dirname(current);
      if (parent === current) return [folder];
      current = parent;
    }
  }

  isIgnored(absolutePath: string, isDirectory: boolean): boolean {
    for (const folder of this.chain(path.dirname(absolutePath))) {
      const layer = this.layerFor(folder);
      if (!layer) continue;
      const relative = path.relative(layer.base, absolutePath).split(path.sep).join('/');
      if (relative === '' || relative.startsWith('..')) continue;
      if (layer.rules.ignores(isDirectory ? `${relative}/` : relative)) return true;
    }
    return false;
  }
}
