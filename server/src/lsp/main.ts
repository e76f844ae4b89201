/**
 * The language server's entry point (bundled to dist/server.js). The transport comes
 * from the command line, so one file serves VS Code (`--node-ipc`) and any other
 * client (`--stdio`, e.g. `node dist/server.js --stdio` from Neovim).
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { analyzeSteps } from '../core/analyze';
import { loadPythonSupport } from '../host/treeSitter';
import type { Analyzer } from './analysisCache';
import { Session } from './session';

const connection = createConnection(ProposedFeatures.all);

// Last line of defence: a bug that escapes every handler's own guard is logged and the
// server keeps serving; an editor whose linter silently dies is worse than one log line.
process.on('uncaughtException', (error) => {
  connection.console.error(`initwise: uncaught exception: ${error.stack ?? error.message}`);
});
process.on('unhandledRejection', (reason) => {
  connection.console.error(`initwise: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});

// The Python parser is WebAssembly, compiled once before the session starts reading
// messages (they wait in the transport meanwhile). If it cannot load, Python files get no
// findings and the log says why; .netdef files are unaffected.
loadPythonSupport().then(
  (python) => {
    const analyzer: Analyzer = ({ workspace, ...input }, settings, signal) => analyzeSteps({ ...input, python: workspace ? { ...python, workspace } : python }, settings, signal);
    new Session(connection, { analyzer, python }).listen();
  },
  (error: unknown) => {
    new Session(connection).listen();
    connection.console.error(`initwise: the Python parser could not be loaded; Python files are not analysed: ${error instanceof Error ? error.message : String(error)}`);
  },
);
