/** Running the built CLI (`node dist/cli.js`) in a folder of files written for the test. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function initwise(args: readonly string[], cwd: string): Run {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh folder holding `files` (path → content). */
export function project(files: Readonly<Record<string, string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-cli-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export const netdef = (...lines: string[]) => lines.join('\n') + '\n';

/** Glorot under ReLU (IW101, warning) and PyTorch's default under ReLU (IW301, info, with a safe fix). */
export const MIXED = netdef(
  'network mixed framework=pytorch {',
  '  input 64',
  '  dense 64 activation=relu init=glorot_uniform',
  '  dense 64 activation=relu',
  '  dense 10 init=xavier_uniform',
  '}',
);
