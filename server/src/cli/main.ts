/**
 * Entry point of the `initwise` command (bundled to dist/cli.js). It only wires the
 * process to run(); everything else is testable in-process.
 */
import type { PythonSupport } from '../core/frontends/types';
import { loadPythonSupport } from '../host/treeSitter';
import { parseCommandLine } from './args';
import { discoverFiles } from './discover';
import { ExitCode } from './io';
import { run } from './run';

/** Loading the Python parser costs a WebAssembly compile: only when a Python file is to be read. */
function needsPython(argv: readonly string[], cwd: string): boolean {
  // `report` parses its own options (cli/report.ts): its FILE decides.
  if (argv[0] === 'report') return argv.some((arg) => /\.(py|ipynb)$/i.test(arg));
  try {
    const command = parseCommandLine(argv);
    if (command.kind === 'check') return discoverFiles(command.paths, cwd).files.some((file) => file.languageId === 'python');
  } catch {
    return false;
  }
  return argv.some((arg) => /\.(py|ipynb)$/i.test(arg));
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let python: PythonSupport | undefined;
  if (needsPython(argv, process.cwd())) {
    try {
      python = await loadPythonSupport();
    } catch (error) {
      process.stderr.write(`initwise: the Python parser could not be loaded; Python files are not analysed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  try {
    return await run(argv, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      cwd: process.cwd(),
      isTTY: process.stdout.isTTY === true,
      stderrIsTTY: process.stderr.isTTY === true,
      env: process.env,
      python,
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
