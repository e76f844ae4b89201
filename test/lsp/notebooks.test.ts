/**
 * Jupyter notebooks over real stdio, with the LSP 3.17 notebook notifications as VS
 * Code's client sends them: the code cells are one program (imports in one cell, the
 * model in the next), diagnostics land on each cell's own uri with cell-relative ranges,
 * and quick fixes, fix-all, hover, code lens, the signal report and Monte-Carlo work on
 * cells; adding, removing, moving cells and changing a cell's language are followed.
 */
import { strict as assert } from 'node:assert';
import { CodeLensRequest, type CodeAction, type CodeLens, type Diagnostic, type TextDocumentEdit, type TextEdit } from 'vscode-languageserver-protocol';
import {
  ANALYSIS_STATUS_CAPABILITY, ANALYSIS_STATUS_NOTIFICATION, FIX_ALL_KIND, RUN_MONTE_CARLO_REQUEST, SIGNAL_REPORT_REQUEST,
  type AnalysisStatusParams, type RunMonteCarloResult, type SignalReportResult,
} from '../../server/src/protocol';
import { LspTestClient } from './client';

const IMPORTS = ['%matplotlib inline', 'import torch.nn as nn', 'import torch.nn.functional as F'].join('\n');
const MODEL = [
  'class Critic(nn.Module):',
  '    def __init__(self, width=256):',
  '        super().__init__()',
  '        self.fc1 = nn.Linear(width, width)',
  '        self.fc2 = nn.Linear(width, width)',
  '        self.out = nn.Linear(width, 1)',
  '        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity="relu")',
  '        nn.init.kaiming_uniform_(self.fc2.weight, a=0.2, nonlinearity="relu")',
  '',
  '    def forward(self, x):',
  '        x = F.leaky_relu(self.fc1(x), 0.2)',
  '        x = F.relu(self.fc2(x))',
  '        return self.out(x)',
].join('\n');
const RUN = ['!nvidia-smi', 'critic = Critic()'].join('\n');

let counter = 0;
function notebook() {
  counter++;
  const uri = `file:///workspace/critic-${counter}.ipynb`;
  const cell = (n: number) => `vscode-notebook-cell:/workspace/critic-${counter}.ipynb#W${n}sZmlsZQ%3D%3D`;
  return { uri, markdown: cell(0), imports: cell(1), model: cell(2), run: cell(3) };
}

const codes = (diagnostics: readonly Diagnostic[]) => diagnostics.map((d) => `${String(d.code)}@${d.range.start.line}:${d.range.start.character}`);

async function openCritic(client: LspTestClient) {
  const nb = notebook();
  await client.openNotebook(nb.uri, [
    { uri: nb.markdown, languageId: 'markdown', version: 1, text: '# A critic\n\n%% not a magic: markdown', kind: 1 },
    { uri: nb.imports, languageId: 'python', version: 1, text: IMPORTS },
    { uri: nb.model, languageId: 'python', version: 1, text: MODEL },
    { uri: nb.run, languageId: 'python', version: 1, text: RUN },
  ]);
  return nb;
}

async function lenses(client: LspTestClient, uri: string): Promise<CodeLens[]> {
  return (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) ?? [];
}

/** Applies LSP text edits to a text (from the end, so earlier positions stay valid). */
function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((sum, l) => sum + l.length + 1, 0) + p.character;
  return [...edits]
    .sort((a, b) => offset(b.range.start) - offset(a.range.start))
    .reduce((out, edit) => out.slice(0, offset(edit.range.start)) + edit.newText + out.slice(offset(edit.range.end)), text);
}

describe('lsp: notebooks', () => {
  let client: LspTestClient;
  const statuses: AnalysisStatusParams[] = [];
  before(async () => {
    client = await LspTestClient.start({ experimental: { [ANALYSIS_STATUS_CAPABILITY]: true } });
    client.connection.onNotification(ANALYSIS_STATUS_NOTIFICATION, (params: AnalysisStatusParams) => {
      statuses.push(params);
    });
  });
  after(async () => {
    await client.stop();
  });

  it('declares notebook sync for Jupyter notebooks with Python cells', () => {
    assert.deepEqual(client.initializeResult?.capabilities.notebookDocumentSync, {
      notebookSelector: [{ notebook: { notebookType: 'jupyter-notebook' }, cells: [{ language: 'python' }] }],
    });
  });

  it('reads the code cells as one program and publishes on each cell with cell-relative ranges', async () => {
    const nb = await openCritic(client);
    const model = await client.diagnosticsFor(nb.model, 1);
    assert.deepEqual(codes(model.diagnostics), ['IW102@6:8', 'IW102@7:8']);
    assert.deepEqual((await client.diagnosticsFor(nb.imports, 1)).diagnostics, []);
    assert.deepEqual((await client.diagnosticsFor(nb.run, 1)).diagnostics, []);
    // A markdown cell is not Python: nothing is published on it.
    assert.equal(client.latest(nb.markdown), undefined);
    assert.deepEqual(client.errorLogs, []);
  });

  it('offers quick fixes that edit the cell (versioned by the cell), and the fixed cell is clean', async () => {
    const nb = await openCritic(client);
    const [first] = (await client.diagnosticsFor(nb.model, 1)).diagnostics;
    const actions = (await client.codeActions(nb.model, first!.range, [first!])) as CodeAction[];
    const fix = actions.find((a) => a.title === 'Use nonlinearity="leaky_relu", a=0.2');
    assert.ok(fix, actions.map((a) => a.title).join(', '));
    const [change, ...others] = fix.edit!.documentChanges as TextDocumentEdit[];
    assert.equal(others.length, 0);
    assert.deepEqual(change!.textDocument, { uri: nb.model, version: 1 });
    const fixed = applyTextEdits(MODEL, change!.edits as TextEdit[]);
    assert.match(fixed.split('\n')[6]!, /kaiming_normal_\(self\.fc1\.weight, a=0\.2, nonlinearity="leaky_relu"\)/);

    await client.changeNotebook(nb.uri, 2, { cells: { textContent: [{ document: { uri: nb.model, version: 2 }, changes: [{ text: fixed }] }] } });
    const after = await client.diagnosticsFor(nb.model, 2);
    assert.deepEqual(codes(after.diagnostics), ['IW102@7:8']);

    // The suppression comment works inside a cell too.
    const [second] = after.diagnostics;
    const suppress = ((await client.codeActions(nb.model, second!.range, [second!])) as CodeAction[]).find((a) => a.title === 'Suppress IW102 on this line');
    const suppressed = applyTextEdits(fixed, (suppress!.edit!.documentChanges as TextDocumentEdit[])[0]!.edits as TextEdit[]);
    await client.changeNotebook(nb.uri, 3, { cells: { textContent: [{ document: { uri: nb.model, version: 3 }, changes: [{ text: suppressed }] }] } });
    assert.deepEqual((await client.diagnosticsFor(nb.model, 3)).diagnostics, []);
  });

  it('fix-all is per cell: the safe fixes of the findings in the requested cell, all of them', async () => {
    const nb = notebook();
    // Unused suppressions (IW901) have a safe fix: remove the comment.
    const model = MODEL.replace('nn.Linear(width, width)\n', 'nn.Linear(width, width)  # initwise: ignore[IW105]\n');
    await client.openNotebook(nb.uri, [
      { uri: nb.imports, languageId: 'python', version: 1, text: IMPORTS },
      { uri: nb.model, languageId: 'python', version: 1, text: model.replace('nn.Linear(width, 1)', 'nn.Linear(width, 1)  # initwise: ignore[IW105]') },
      { uri: nb.run, languageId: 'python', version: 1, text: `${RUN}  # initwise: ignore[IW101]` },
    ]);
    const published = await client.diagnosticsFor(nb.model, 1);
    assert.deepEqual(codes(published.diagnostics).filter((c) => c.startsWith('IW901')), ['IW901@3:44', 'IW901@5:40']);
    const everywhere = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const [fixAll, ...rest] = (await client.codeActions(nb.model, everywhere, [], [FIX_ALL_KIND])) as CodeAction[];
    assert.equal(rest.length, 0);
    const changes = fixAll!.edit!.documentChanges as TextDocumentEdit[];
    assert.deepEqual(changes.map((c) => c.textDocument), [{ uri: nb.model, version: 1 }]);
    assert.equal(changes[0]!.edits.length, 2);
    assert.doesNotMatch(applyTextEdits(model.replace('nn.Linear(width, 1)', 'nn.Linear(width, 1)  # initwise: ignore[IW105]'), changes[0]!.edits as TextEdit[]), /initwise: ignore/);
    // The run cell's own fix-all touches only the run cell.
    const [runFix] = (await client.codeActions(nb.run, everywhere, [], [FIX_ALL_KIND])) as CodeAction[];
    assert.deepEqual((runFix!.edit!.documentChanges as TextDocumentEdit[]).map((c) => c.textDocument.uri), [nb.run]);
    assert.deepEqual((await client.codeActions(nb.imports, everywhere, [], [FIX_ALL_KIND])), []);
  });

  it('hovers a layer in its cell, and puts the code lens on the cell whose class defines the network', async () => {
    const nb = await openCritic(client);
    await client.diagnosticsFor(nb.model, 1);
    const hover = await client.hover(nb.model, { line: 3, character: 22 });
    assert.ok(hover, 'a hover on nn.Linear');
    assert.match(JSON.stringify(hover.contents), /dense.*256 → 256/);
    assert.equal((hover.range as { start: { line: number } }).start.line, 3);
    assert.equal(await client.hover(nb.imports, { line: 1, character: 3 }), null);

    // Issue 13: the lens sits on the class that defines the network (the model cell), named after it.
    assert.deepEqual(await lenses(client, nb.run), []);
    const [lens, ...more] = await lenses(client, nb.model);
    assert.equal(more.length, 0);
    assert.equal(lens!.range.start.line, 0);
    assert.match(lens!.command!.title, /Show report/);
    assert.deepEqual(lens!.command!.arguments, [nb.model, 'Critic']);

    // The report, asked for from another cell of the notebook.
    const report = await client.connection.sendRequest<SignalReportResult>(SIGNAL_REPORT_REQUEST, { uri: nb.run, network: 'Critic', nonce: 'n0nce', cspSource: '' });
    assert.match(report.html, /Critic/);
    assert.match(report.html, /critic-\d+\.ipynb/);
  });

  it('runs Monte-Carlo for a cell: the notebook\'s networks, and re-publishes', async () => {
    const nb = await openCritic(client);
    await client.diagnosticsFor(nb.model, 1);
    const before = client.publishes.length;
    const result = await client.connection.sendRequest<RunMonteCarloResult>(RUN_MONTE_CARLO_REQUEST, { uri: nb.run, seeds: 1, batch: 16 });
    assert.deepEqual(result.networks.map((n) => [n.name, n.simulated]), [['Critic', true]]);
    await client.waitForDiagnostics(nb.model, () => client.publishes.length > before);
    const hover = await client.hover(nb.model, { line: 3, character: 22 });
    assert.match(JSON.stringify(hover!.contents), /Monte-Carlo/);
  });

  it('follows cells moved, removed, added and a cell whose language changes', async () => {
    const nb = await openCritic(client);
    await client.diagnosticsFor(nb.model, 1);
    const publishes = () => client.publishes.length;

    // Move the run cell before the model cell: program offsets change, the cell's ranges do not.
    let mark = publishes();
    await client.changeNotebook(nb.uri, 2, { cells: { structure: { array: { start: 2, deleteCount: 2, cells: [{ kind: 2, document: nb.run }, { kind: 2, document: nb.model }] } } } });
    let moved = await client.waitForDiagnostics(nb.model, () => publishes() > mark);
    assert.deepEqual(codes(moved.diagnostics), ['IW102@6:8', 'IW102@7:8']);

    // A new cell with its own finding.
    const added = nb.model.replace('#W2', '#W9');
    mark = publishes();
    const zeros = 'head = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))\nnn.init.zeros_(head[0].weight)';
    await client.changeNotebook(nb.uri, 3, {
      cells: { structure: { array: { start: 4, deleteCount: 0, cells: [{ kind: 2, document: added }] }, didOpen: [{ uri: added, languageId: 'python', version: 1, text: zeros }] } },
    });
    const fresh = await client.waitForDiagnostics(added, () => publishes() > mark);
    assert.deepEqual(codes(fresh.diagnostics), ['IW104@1:0']);

    // The model cell's language changes to SQL: VS Code's client then takes the cell out of
    // the synced notebook (it no longer matches the selector), so it is not read any more.
    mark = publishes();
    await client.changeNotebook(nb.uri, 4, { cells: { structure: { array: { start: 3, deleteCount: 1 }, didClose: [{ uri: nb.model }] } } });
    moved = await client.waitForDiagnostics(nb.model, () => publishes() > mark);
    assert.deepEqual(moved.diagnostics, [], 'a cell that is no longer Python loses its diagnostics');

    // Removing the imports cell: `nn` means nothing now, so the new cell's finding goes too.
    mark = publishes();
    await client.changeNotebook(nb.uri, 5, { cells: { structure: { array: { start: 1, deleteCount: 1 }, didClose: [{ uri: nb.imports }] } } });
    const gone = await client.waitForDiagnostics(added, () => publishes() > mark);
    assert.deepEqual(gone.diagnostics, []);

    await client.closeNotebook(nb.uri, [nb.run, nb.model, added]);
    await client.waitForDiagnostics(added, (p) => p.diagnostics.length === 0 && p.version === undefined);
    assert.deepEqual(client.errorLogs, []);
  });

  it('ignores a change to a notebook that was never opened, and answers requests on unknown cells with nothing', async () => {
    const nb = notebook();
    await client.changeNotebook(nb.uri, 2, { cells: { textContent: [{ document: { uri: nb.model, version: 2 }, changes: [{ text: MODEL }] }] } });
    assert.equal(await client.hover(nb.model, { line: 3, character: 22 }), null);
    assert.deepEqual(await lenses(client, nb.model), []);
    // The server still serves: a notebook opened now is analysed as usual.
    const fresh = await openCritic(client);
    assert.deepEqual(codes((await client.diagnosticsFor(fresh.model, 1)).diagnostics), ['IW102@6:8', 'IW102@7:8']);
    assert.equal(client.latest(nb.model), undefined);
    assert.deepEqual(client.errorLogs, []);
  });

  it('tells the language status when a notebook has nothing InitWise can read', async () => {
    const nb = notebook();
    await client.openNotebook(nb.uri, [{ uri: nb.markdown, languageId: 'markdown', version: 1, text: '# notes only', kind: 1 }]);
    const started = Date.now();
    while (!statuses.some((s) => s.uri === nb.uri) && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 10));
    const status = statuses.find((s) => s.uri === nb.uri);
    assert.deepEqual(status && { notebook: status.notebook, networks: status.networks, unreadable: status.unreadable }, { notebook: true, networks: 0, unreadable: 'no Python code cells' });

    const model = await openCritic(client);
    const waited = Date.now();
    // The analysis's own status, not a 'running' one the server sends while it works (on a loaded machine it can come first).
    while (!statuses.some((s) => s.uri === model.uri && s.state !== 'running') && Date.now() - waited < 10_000) await new Promise((r) => setTimeout(r, 10));
    const read = statuses.filter((s) => s.uri === model.uri && s.state !== 'running').at(-1);
    assert.deepEqual(read && { findings: read.findings, networks: read.networks, unreadable: read.unreadable }, { findings: 2, networks: 1, unreadable: undefined });
  });
});
