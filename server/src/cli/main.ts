/**
 * Entry point of the `initwise` command (bundled to dist/cli.js). It only wires the
 * process to run(); everything else is testable in-process.
 */
import { ExitCode } from './io';
import { run } from './run';

function main(): number {
  try {
    return run(process.argv.slice(2), {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      cwd: process.cwd(),
      isTTY: process.stdout.isTTY === true,
      env: process.env,
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
process.exitCode = main();
