/**
 * Entry point of the `initwise` command (bundled to dist/cli.js). It only wires the
 * process to run(); everything else is testable in-process.
 */
import * as v8 from 'node:v8';
import type { PythonSupport } from '../core/frontends/types';
import { loadPythonSupport } from '../host/treeSitter';
import { parseCommandLine } from './args';
import { ExitCode } from './io';
import { run } from './run';

/**
 * Loading the Python parser costs a WebAssembly compile: only when a Python file is to be
 * read. `check` asks for it itself (io.loadPython), once it knows a Python file is to be
 * analysed on this thread and not answered from the cache.
 */
function needsPythonNow(argv: readonly string[]): boolean {
  // `report` parses its own options (cli/report.ts): its FILE decides.
  if (argv[0] === 'report') return argv.some((arg) => /\.(py|ipynb)$/i.test(arg));
  try {
    if (parseCommandLine(argv).kind === 'check') return false;
  } catch {
    return false;
  }
  return argv.some((arg) => /\.(py|ipynb)$/i.test(arg));
}

let python: Promise<PythonSupport | undefined> | undefined;

function loadPython(): Promise<PythonSupport | undefined> {
  python ??= loadPythonSupport().catch((error: unknown) => {
    process.stderr.write(`initwise: the Python parser could not be loaded; Python files are not analysed: ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  });
  return python;
}

/**
 * V8 tuned for what a check is: one pass over code V8 has not seen before, allocating
 * many short-lived objects (syntax nodes, interpreter values), then exit. Set before
 * anything runs; V8's flags are the process's, so worker threads started later run with
 * them too. The language server (long-lived, where optimised code pays) keeps V8's defaults.
 * Measured (issue 16; paired runs, CPU time and peak RSS of the whole process, 2 busy cores):
 * - `--interrupt-budget` four times V8's default (67,584): a function runs longer in the
 *   baseline tiers before TurboFan compiles it, since most run only for milliseconds and
 *   TurboFan spent more compiling them (on the other core) than its code then saved.
 *   torchvision's `models/` 1.6–1.9 → 1.1–1.3 s of CPU; the 3,500-line bench file 0.82 →
 *   0.69 s; 1,000 generated PyTorch files 3.6 → 3.2 s, 1,000 `.netdef` files 2.3 → 2.3 s;
 *   `--simulate montecarlo` on the examples +2–5 % (its hot loops are WebAssembly).
 * - `--semi-space-growth-factor=1`: the young generation keeps its initial size instead of
 *   growing to 2 × 16 MiB, whose pages then stay resident: peak RSS on torchvision's
 *   `models/` 158 → 120 MiB, the 3,500-line file 128 → 99 MiB, 1,000 `.netdef` files
 *   186–216 → 133 MiB, 1,000 PyTorch files 206–210 → 168–173 MiB; CPU the same on the first
 *   three, +4–5 % on the 1,000 PyTorch files (more scavenges). (`--max-semi-space-size`
 *   would say it directly, but it only takes effect on the command line.)
 */
const CLI_V8_FLAGS = [`--interrupt-budget=${4 * 67_584}`, '--semi-space-growth-factor=1'];

async function main(): Promise<number> {
  for (const flag of CLI_V8_FLAGS) v8.setFlagsFromString(flag);
  const argv = process.argv.slice(2);
  const python = needsPythonNow(argv) ? await loadPython() : undefined;
  try {
    return await run(argv, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      cwd: process.cwd(),
      isTTY: process.stdout.isTTY === true,
      stderrIsTTY: process.stderr.isTTY === true,
      env: process.env,
      python,
      loadPython,
    });
  } catch (error) {
    // An uncaught error would exit with status 1, which CI reads as "findings".
    // A crash is our bug, not the user's code: status 2 and the stack to report.
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`initwise: internal error (please report this): ${detail}\n`);
    return ExitCode.Error;
  }
}

// Setting exitCode instead of calling process.exit() lets piped stdout drain fully.
void main().then((code) => {
  process.exitCode = code;
});
