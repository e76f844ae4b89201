/**
 * Entry point of the `initwise` command (bundled to dist/cliMain.js, which the launcher
 * dist/cli.js compiles with a V8 code cache: launcher.ts). It only wires the
 * process to run(); everything else is testable in-process.
 */
import * as v8 from 'node:v8';
import { CLI_V8_FLAGS } from './v8Flags';
import type { PythonSupport } from '../core/frontends/types';
import { parseCommandLine } from './args';
import { ExitCode } from './io';
import { loadCliPythonParser } from './pythonParser';
import { run } from './run';

/**
 * Loading the Python parser (the native binding, else a WebAssembly compile:
 * pythonParser.ts) costs time: only when a Python file is to be read. `check` asks for it itself (io.loadPython), once it knows a Python file is to be
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
  python ??= loadCliPythonParser().then((loaded) => loaded.support, (error: unknown) => {
    process.stderr.write(`initwise: the Python parser could not be loaded; Python files are not analysed: ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  });
  return python;
}

async function main(): Promise<number> {
  // Already set by the launcher (dist/cli.js) before it compiled this bundle; again here for
  // a run of this bundle itself (setting a flag twice changes nothing).
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

// A reader that goes away (`initwise check . --format json | head`) closes the pipe: Node then
// raises EPIPE as an unhandled 'error' event and dies with a stack trace. Nobody is left to read
// the rest: stop at once with status 2 and the spec's one-line reason (spec/cli.md), on stderr
// while it is still open.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  if (!process.stderr.destroyed) process.stderr.write('initwise: output not written: the reader of standard output closed it\n');
  process.exit(ExitCode.Error);
});
process.stderr.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(ExitCode.Error);
});

// Setting exitCode instead of calling process.exit() lets piped stdout drain fully.
void main().then((code) => {
  process.exitCode = code;
});
