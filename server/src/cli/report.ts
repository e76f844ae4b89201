/**
 * `initwise report FILE [--html OUT.html] [--network NAME] [--simulate analytic|montecarlo]`: the signal report of a
 * file's networks, from the same engine and the same report model as the editor's
 * webview. Without --html it prints the per-layer table; with it, it writes one
 * self-contained HTML file (the document the webview shows, with a fresh CSP nonce).
 *
 * Exit status: 0 when the report was printed or written (a network that cannot be
 * simulated is reported as such, not an error); 2 for a usage error, an unreadable
 * file, an unknown network name or a file that cannot be written.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildSignalReport, type SignalReport } from '../core/report/model';
import { renderReportHtml } from '../core/report/html';
import { renderReportText } from '../core/report/text';
import type { Settings } from '../core/settings';
import { ConfigError, ConfigFinder } from './config/load';
import { analyseFile, readSource, settingsForFile } from './check';
import { describeFsError, displayPath, languageOf, isNotebookPath } from './discover';
import { ExitCode, type CliIo } from './io';
import { parseNotebook } from '../core/notebook/ipynb';
import { NotebookSources } from '../core/notebook/notebookFile';
import type { NotebookProgram } from '../core/notebook/program';
import { LineIndex } from '../core/text';
import type { Network } from '../core/ir';
import type { NetworkSimulation } from '../core/simulation/types';
import { monteCarloSimulations } from '../host/montecarloSimulations';

/** `cell:line` of a program offset, the cell numbered as in the notebook (markdown cells counted). */
function notebookLineOf(program: NotebookProgram): (offset: number) => string {
  const indexes = new Map<number, LineIndex>();
  return (offset) => {
    const local = program.localOffset(offset);
    if (!local) return '?';
    const cell = program.cells[local.cell]!;
    let index = indexes.get(local.cell);
    if (!index) indexes.set(local.cell, (index = new LineIndex(cell.text)));
    return `${cell.id}:${index.positionAt(local.offset).line + 1}`;
  };
}

export const REPORT_HELP = `Usage: initwise report FILE [--html OUT.html] [--network NAME] [--simulate analytic|montecarlo]

Prints the signal report of every network in FILE (.netdef, .py or .ipynb; a notebook's
rows give the layer's place as cell:line): per layer, fans,
activation, initializer, Var(W), the simulated forward and gradient second moments with
their finite-width spread, each layer's own factors and the recommended initializer.

Settings come from the nearest initwise.toml or pyproject.toml [tool.initwise], as for
\`initwise check\`.

Options:
  --html OUT.html   Write the report as one self-contained HTML file (tables and plots)
  --network NAME    Only this network (default: all networks in the file)
  --simulate MODE   analytic (default, or the configuration's simulation.mode) or montecarlo:
                    draw each network at its real widths and run it (one seed, as check does);
                    the only numbers for a stack of copied blocks (IW404)

Exit status: 0 report written, 2 usage error, unreadable file, unknown network or unwritable output.
`;

interface ReportOptions {
  readonly file: string;
  readonly html: string | undefined;
  readonly network: string | undefined;
  readonly simulate: 'analytic' | 'montecarlo' | undefined;
}

class ReportUsageError extends Error {}

function parseReportArgs(argv: readonly string[]): ReportOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { html: { type: 'string' }, network: { type: 'string' }, simulate: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const quoted = /'([^']+)'/.exec(message)?.[1];
    throw new ReportUsageError(quoted ? `\`initwise report\`: bad option '${quoted}' (see \`initwise report --help\`)` : message.split('. ')[0]);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new ReportUsageError('`initwise report` takes exactly one FILE (see `initwise report --help`)');
  if (values.html === '') throw new ReportUsageError('--html needs a file name');
  const simulate = values.simulate;
  if (simulate !== undefined && simulate !== 'analytic' && simulate !== 'montecarlo') throw new ReportUsageError(`unknown simulation '${simulate}' (expected analytic or montecarlo)`);
  return { file: positionals[0]!, html: values.html, network: values.network, simulate };
}

export function runReport(argv: readonly string[], io: CliIo): number {
  let options: ReportOptions | 'help';
  try {
    options = parseReportArgs(argv);
  } catch (error) {
    if (!(error instanceof ReportUsageError)) throw error;
    io.stderr(`initwise: ${error.message}\n`);
    return ExitCode.Error;
  }
  if (options === 'help') {
    io.stdout(REPORT_HELP);
    return ExitCode.Clean;
  }

  const absolutePath = path.resolve(io.cwd, options.file);
  const shown = displayPath(absolutePath, io.cwd);
  const languageId = languageOf(absolutePath);
  if (!languageId) {
    io.stderr(`initwise: ${shown}: not a .netdef, .py or .ipynb file\n`);
    return ExitCode.Error;
  }
  let text: string;
  // A notebook: its code cells as one program; rows name `cell:line` (core/notebook/).
  let notebook: NotebookProgram | undefined;
  try {
    text = readSource(absolutePath);
  } catch (error) {
    io.stderr(`initwise: ${shown}: ${describeFsError(error)}\n`);
    return ExitCode.Error;
  }
  if (isNotebookPath(absolutePath)) {
    const parsed = parseNotebook(text);
    if (!parsed.ok) {
      io.stderr(`initwise: ${shown}:${parsed.error.line}:${parsed.error.column}: not a readable notebook: ${parsed.error.message}\n`);
      return ExitCode.Error;
    }
    notebook = new NotebookSources(parsed.notebook).program();
    text = notebook.text;
  }

  // The nearest initwise.toml / [tool.initwise], as `initwise check` reads it (its band,
  // severities and selection shape what the report shows).
  let settings: Settings;
  try {
    const finder = new ConfigFinder((file) => displayPath(file, io.cwd));
    settings = settingsForFile({ configFor: (folder) => finder.forFolder(folder) }, absolutePath, options.simulate ? { simulation: options.simulate } : {});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`initwise: ${error.message}\n`);
    return ExitCode.Error;
  }
  const analysed = analyseFile({ absolutePath, displayPath: shown, languageId }, text, settings, io.python);
  const { networks } = analysed.result;
  const selected = networks.map((network, i) => ({ network, i })).filter(({ network }) => options.network === undefined || network.name === options.network);
  if (selected.length === 0) {
    const names = networks.map((n) => n.name);
    io.stderr(
      options.network === undefined
        ? `initwise: ${shown}: no network found\n`
        : `initwise: ${shown}: no network named '${options.network}'${names.length > 0 ? ` (networks: ${names.join(', ')})` : ''}\n`,
    );
    return ExitCode.Error;
  }
  // Monte-Carlo (the option or the configuration's mode): the selected networks drawn and run, as `check --simulate montecarlo` does.
  const simulations = settings.simulation === 'montecarlo'
    ? monteCarloReportSimulations(networks, new Set(selected.map(({ i }) => i)), analysed.result.simulations)
    : analysed.result.simulations;
  const lineOf = notebook ? notebookLineOf(notebook) : (offset: number) => analysed.index.positionAt(offset).line + 1;
  const reports: SignalReport[] = selected.map(({ network, i }) => buildSignalReport(network, simulations[i], { band: settings.band, lineOf }));

  if (options.html === undefined) {
    io.stdout(reports.map(renderReportText).join('\n'));
    return ExitCode.Clean;
  }
  // A fresh nonce per file, as per webview load: the CSP admits only this stylesheet.
  const html = renderReportHtml(reports, { nonce: randomBytes(16).toString('base64'), source: shown });
  const outPath = path.resolve(io.cwd, options.html);
  try {
    fs.writeFileSync(outPath, html, 'utf8');
  } catch (error) {
    io.stderr(`initwise: cannot write ${displayPath(outPath, io.cwd)}: ${describeFsError(error)}\n`);
    return ExitCode.Error;
  }
  const what = reports.length === 1 ? `the signal report of ${reports[0]!.networkName}` : `the signal reports of ${reports.length} networks`;
  io.stdout(`initwise: wrote ${what} to ${displayPath(outPath, io.cwd)}\n`);
  return ExitCode.Clean;
}

/** The selected networks' Monte-Carlo simulations; a network the pass declines keeps its analytic numbers. */
function monteCarloReportSimulations(networks: readonly Network[], selected: ReadonlySet<number>, analytic: readonly (NetworkSimulation | undefined)[]): (NetworkSimulation | undefined)[] {
  const measured = monteCarloSimulations(networks, selected);
  return networks.map((_, i) => measured[i] ?? analytic[i]);
}
