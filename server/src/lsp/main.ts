/**
 * The language server's entry point (bundled to dist/server.js). The transport comes
 * from the command line, so one file serves VS Code (`--node-ipc`) and any other
 * client (`--stdio`, e.g. `node dist/server.js --stdio` from Neovim).
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
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

new Session(connection).listen();
