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
 * A check is one pass over code V8 has not seen before: most functions run for a few
 * milliseconds, and TurboFan spent more compiling them (on the other core) than its code
 * then saved. Four times V8's default interrupt budget (67,584) lets a function run longer
 * in the baseline tiers before it is optimised. Measured (issue 16, paired runs, CPU time of
 * the whole process): torchvision's `models/` 1.6–1.9 → 1.1–1.3 s; the 3,500-line bench file
 * 0.82 → 0.69 s; 1,000 generated PyTorch files 3.6 → 3.2 s, 1,000 `.netdef` files 2.3 →
 * 2.3 s; `--simulate montecarlo` on the examples +2–5 % (its hot loops are WebAssembly).
 * V8's flags are the process's: worker threads started later run with it too. The
 * language server (long-lived, where optimised code pays) keeps V8's default.
 */
const CLI_INTERRUPT_BUDGET = 4 * 67_584;

async function main(): Promise<number> {
  v8.setFlagsFromString(`--interrupt-budget=${CLI_INTERRUPT_BUDGET}`);
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
