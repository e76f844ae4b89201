/** Dispatches a command line to its command and turns usage errors into status 2. */
import { version } from '../../../package.json';
import { HELP_TEXT, parseCommandLine, UsageError, type Command } from './args';
import { runCheck } from './check';
import { ExitCode, type CliIo } from './io';
import { runReport } from './report';
import { runRule } from './ruleCommand';

export const VERSION: string = version;

export interface RunOptions {
  /** The worker bundle for many files (tests point it at dist/cliWorker.js). */
  readonly workerScript?: string;
  /** .netdef files of this size or more are streamed into the text or GitHub report (check.ts STREAM_MIN_BYTES; tests set 0). */
  readonly streamMinBytes?: number;
}

export async function run(argv: readonly string[], io: CliIo, options: RunOptions = {}): Promise<number> {
  // `report` has its own options (--html, --network) and parses them itself (cli/report.ts).
  if (argv[0] === 'report') return runReport(argv.slice(1), io);
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`initwise: ${error.message}\n`);
    return ExitCode.Error;
  }
  switch (command.kind) {
    case 'help':
      io.stdout(HELP_TEXT);
      return ExitCode.Clean;
    case 'version':
      io.stdout(`initwise ${VERSION}\n`);
      return ExitCode.Clean;
    case 'rule':
      return runRule(command.code, io);
    case 'check':
      return runCheck(command, io, { version: VERSION, workerScript: options.workerScript, ...(options.streamMinBytes !== undefined ? { streamMinBytes: options.streamMinBytes } : {}) });
  }
}
