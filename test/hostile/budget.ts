/**
 * Runs the built CLI as a real process under a budget given to the process itself: it is
 * killed after `seconds`, and V8's heap is capped at `heapMb` (--max-old-space-size), so
 * a hang or a blow-up fails the test as a killed or crashed process, never as a timed
 * assertion on speed. The budgets are generous for the fixed code and well below what
 * the reproducers of issue 12 took before (see each case).
 *
 * INITWISE_DIST points the suite at another build (a checkout of an older commit built
 * with `node esbuild.mjs`) to see each case fail there.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const DIST = process.env.INITWISE_DIST ?? path.join(ROOT, 'dist');

export interface Budget {
  readonly seconds: number;
  readonly heapMb: number;
}

export interface BudgetedRun {
  readonly status: number | null;
  /** Set when the process was killed (the time budget ran out). */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function checkUnderBudget(args: readonly string[], cwd: string, budget: Budget): BudgetedRun {
  const result = spawnSync(process.execPath, [`--max-old-space-size=${budget.heapMb}`, path.join(DIST, 'cli.js'), 'check', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '' },
    timeout: budget.seconds * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** A fresh folder holding `files` (name → content). */
export function folderWith(files: Readonly<Record<string, string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-hostile-'));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

/** A stack trace line, as V8 prints them (`    at fn (file:1:2)`). */
export const STACK_TRACE = /^\s+at .+[:(]/m;
