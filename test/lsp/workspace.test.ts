/**
 * The workspace, not one file, through the real server over stdio: a document that imports
 * its block and its widths from other modules of the workspace is analysed with them; an
 * edit of an imported module — in its open buffer, or on disk (workspace/didChangeWatchedFiles)
 * — republishes the importer; a finding inside the block is published on the block's file;
 * the hover at the call site names the model that reached it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction } from 'vscode-languageserver/node';
import { LspTestClient } from './client';

const LAYERS = [
  'import torch.nn as nn',
  '',
  '',
  'class ConvBlock(nn.Module):',
  '    def __init__(self, cin, cout):',
  '        super().__init__()',
  '        self.conv = nn.Conv2d(cin, cout, 3, padding=1)',
  '        self.act = nn.ReLU()',
  '        nn.init.xavier_normal_(self.conv.weight)',
  '',
  '    def forward(self, x):',
  '        return self.act(self.conv(x))',
  '',
].join('\n');

const MAIN = [
  'import torch.nn as nn',
  '',
  'from config import HIDDEN',
  'from layers import ConvBlock',
  '',
  '',
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.block = ConvBlock(3, 64)',
  '        self.flat = nn.Flatten()',
  '        self.fc = nn.Linear(HIDDEN, 64)',
  '        self.act = nn.ReLU()',
  '        self.out = nn.Linear(64, 10)',
  '        nn.init.normal_(self.fc.weight, std=0.01)',
  '',
  '    def forward(self, x):',
  '        return self.out(self.act(self.fc(self.flat(self.block(x)))))',
  '',
].join('\n');

/** σ² of `self.fc` as IW105 states it (its fan_in is HIDDEN, read from config.py). */
const widthIn = (messages: readonly string[]) => messages.find((m) => m.includes('does not scale with the layer'))?.match(/σ² = fan_in·Var\(W\) = ([\d.]+)/)?.[1];

describe('lsp: the workspace, not one file', function () {
  this.timeout(60_000);
  let client: LspTestClient;
  let dir: string;
  const uriOf = (name: string) => pathToFileURL(path.join(dir, name)).toString();

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-lsp-workspace-'));
    fs.writeFileSync(path.join(dir, 'config.py'), 'HIDDEN = 512\n');
    fs.writeFileSync(path.join(dir, 'layers.py'), LAYERS);
    fs.writeFileSync(path.join(dir, 'main.py'), MAIN);
    client = await LspTestClient.start({ workspaceFolders: [pathToFileURL(dir).toString()], watchFiles: true });
  });
  afterEach(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('registers a watcher for Python files and pyproject.toml', async () => {
    await client.open(uriOf('main.py'), 'python', MAIN);
    await client.diagnosticsFor(uriOf('main.py'), 1);
    const registration = client.serverRequests.find((r) => r.method === 'client/registerCapability' && JSON.stringify(r.params).includes('didChangeWatchedFiles'));
    const globs = JSON.stringify(registration?.params);
    assert.ok(globs.includes('**/*.py') && globs.includes('**/pyproject.toml'), globs);
  });

  it('reads the imported width, publishes the block\'s finding on the block\'s file, and the hover names the model', async () => {
    await client.open(uriOf('main.py'), 'python', MAIN);
    const main = await client.diagnosticsFor(uriOf('main.py'), 1);
    assert.equal(widthIn(main.diagnostics.map((d) => d.message as string)), '0.0512', 'σ² = 512·0.01²: HIDDEN = 512 from config.py is the fan-in');
    assert.ok(main.diagnostics.every((d) => d.range.start.line !== 8), 'nothing of layers.py on main.py\'s lines');
    // layers.py is not open: its finding is published on it, without a version.
    const layers = await client.waitForDiagnostics(uriOf('layers.py'), (p) => p.diagnostics.some((d) => d.code === 'IW101'));
    const finding = layers.diagnostics.find((d) => d.code === 'IW101')!;
    assert.equal(finding.range.start.line, 8);
    assert.match(finding.message as string, /reached from model Net in main\.py/);
    const hover = await client.hover(uriOf('main.py'), { line: 9, character: 24 });
    const text = JSON.stringify(hover?.contents);
    assert.match(text, /ConvBlock/);
    assert.match(text, /part of model \*\*Net\*\*/);
    assert.match(text, /IW101 line 9/);
  });

  it('an edit in an open module\'s buffer republishes its importer (the buffer wins over the file on disk)', async () => {
    await client.open(uriOf('main.py'), 'python', MAIN);
    await client.diagnosticsFor(uriOf('main.py'), 1);
    await client.open(uriOf('config.py'), 'python', 'HIDDEN = 512\n');
    await client.diagnosticsFor(uriOf('config.py'), 1);
    const before = client.publishes.length;
    await client.change(uriOf('config.py'), 2, 'HIDDEN = 2048\n');
    const republished = await client.waitForDiagnostics(uriOf('main.py'), (p) => client.publishes.indexOf(p) >= before && p.diagnostics.some((d) => (d.message as string).includes('fan_in 2048')));
    assert.equal(republished.version, 1, 'the importer\'s own version did not change');
    // The block's file opened: the importer's finding is part of its diagnostics, for its version.
    await client.open(uriOf('layers.py'), 'python', LAYERS);
    const layers = await client.waitForDiagnostics(uriOf('layers.py'), (p) => p.version === 1 && p.diagnostics.some((d) => d.code === 'IW101'));
    assert.equal(layers.diagnostics.filter((d) => d.code === 'IW101').length, 1);
    // Fixing the block in its buffer clears the finding there.
    await client.change(uriOf('layers.py'), 2, LAYERS.replace('xavier_normal_(self.conv.weight)', 'kaiming_normal_(self.conv.weight, nonlinearity="relu")'));
    await client.waitForDiagnostics(uriOf('layers.py'), (p) => p.version === 2 && !p.diagnostics.some((d) => d.code === 'IW101'));
  });

  it('a module changed on disk (workspace/didChangeWatchedFiles) republishes its importer; one created on disk too', async () => {
    await client.open(uriOf('main.py'), 'python', MAIN);
    await client.diagnosticsFor(uriOf('main.py'), 1);
    let before = client.publishes.length;
    fs.writeFileSync(path.join(dir, 'config.py'), 'HIDDEN = 1024\n');
    await client.changeWatchedFiles([{ uri: uriOf('config.py'), type: 2 }]);
    await client.waitForDiagnostics(uriOf('main.py'), (p) => client.publishes.indexOf(p) >= before && p.diagnostics.some((d) => (d.message as string).includes('fan_in 1024')));
    // config.py goes away: HIDDEN is unknown, nothing that needs it is judged.
    before = client.publishes.length;
    fs.rmSync(path.join(dir, 'config.py'));
    await client.changeWatchedFiles([{ uri: uriOf('config.py'), type: 3 }]);
    await client.waitForDiagnostics(uriOf('main.py'), (p) => client.publishes.indexOf(p) >= before && !p.diagnostics.some((d) => (d.message as string).includes('fan_in 1024')));
    // And comes back (a file looked for and not found is watched for too).
    before = client.publishes.length;
    fs.writeFileSync(path.join(dir, 'config.py'), 'HIDDEN = 256\n');
    await client.changeWatchedFiles([{ uri: uriOf('config.py'), type: 1 }]);
    await client.waitForDiagnostics(uriOf('main.py'), (p) => client.publishes.indexOf(p) >= before && p.diagnostics.some((d) => (d.message as string).includes('fan_in 256')));
    assert.deepEqual(client.errorLogs, []);
  });

  it('a notebook that imports the workspace\'s modules: read like a file beside it, republished when a module changes (buffer or disk)', async () => {
    const nb = uriOf('train.ipynb');
    const cell = (n: number) => `vscode-notebook-cell:${path.join(dir, 'train.ipynb')}#W${n}`;
    const cells = [
      { uri: cell(0), languageId: 'python', version: 1, text: 'import torch.nn as nn\nfrom config import HIDDEN\nfrom layers import ConvBlock' },
      { uri: cell(1), languageId: 'python', version: 1, text: MAIN.slice(MAIN.indexOf('class Net')) },
    ];
    await client.openNotebook(nb, cells);
    const model = await client.waitForDiagnostics(cell(1), (p) => widthIn(p.diagnostics.map((d) => d.message as string)) !== undefined);
    assert.equal(widthIn(model.diagnostics.map((d) => d.message as string)), '0.0512', 'HIDDEN = 512 from config.py is the fan-in');
    const layers = await client.waitForDiagnostics(uriOf('layers.py'), (p) => p.diagnostics.some((d) => d.code === 'IW101'));
    assert.match(layers.diagnostics.find((d) => d.code === 'IW101')!.message as string, /reached from model Net in train\.ipynb/);
    // An edit in the module's open buffer: the notebook is analysed again.
    await client.open(uriOf('config.py'), 'python', 'HIDDEN = 512\n');
    await client.diagnosticsFor(uriOf('config.py'), 1);
    let before = client.publishes.length;
    await client.change(uriOf('config.py'), 2, 'HIDDEN = 2048\n');
    await client.waitForDiagnostics(cell(1), (p) => client.publishes.indexOf(p) >= before && p.diagnostics.some((d) => (d.message as string).includes('fan_in 2048')));
    // On disk (the buffer closed first: an open buffer wins over the file).
    await client.close(uriOf('config.py'));
    before = client.publishes.length;
    fs.writeFileSync(path.join(dir, 'config.py'), 'HIDDEN = 1024\n');
    await client.changeWatchedFiles([{ uri: uriOf('config.py'), type: 2 }]);
    await client.waitForDiagnostics(cell(1), (p) => client.publishes.indexOf(p) >= before && p.diagnostics.some((d) => (d.message as string).includes('fan_in 1024')));
    assert.deepEqual(client.errorLogs, []);
  });

  it('fix-all on a module applies the safe fixes its open importers\' findings there agree on, and none they disagree on', async () => {
    const blocks = [
      'from tensorflow import keras',
      'from tensorflow.keras import layers',
      '',
      '',
      'def dense_block(x, units, act):',
      '    return layers.Dense(units, activation=act, kernel_initializer=keras.initializers.RandomNormal(stddev=0.01))(x)',
      '',
    ].join('\n');
    const importer = (width: number) => [
      'from tensorflow import keras',
      'from blocks import dense_block',
      '',
      `inputs = keras.Input(shape=(${width},))`,
      'h = dense_block(inputs, 512, "relu")',
      'outputs = keras.layers.Dense(10)(h)',
      'model = keras.Model(inputs, outputs)',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'blocks.py'), blocks);
    await client.open(uriOf('a.py'), 'python', importer(784));
    await client.diagnosticsFor(uriOf('a.py'), 1);
    await client.open(uriOf('blocks.py'), 'python', blocks);
    await client.waitForDiagnostics(uriOf('blocks.py'), (p) => p.version === 1 && p.diagnostics.some((d) => d.code === 'IW105'));
    const wholeFile = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const fixAll = (await client.codeActions(uriOf('blocks.py'), wholeFile, [], ['source.fixAll'])) as CodeAction[];
    assert.equal(fixAll.length, 1, JSON.stringify(fixAll));
    assert.match(JSON.stringify(fixAll[0]!.edit), /VarianceScaling\(scale=0\.0784, mode=\\"fan_in\\"/);
    // A second importer passes another width: the equivalent differs, nothing is applied in bulk.
    const before = client.publishes.length;
    await client.open(uriOf('b.py'), 'python', importer(256));
    // b.py's findings in blocks.py are recorded before b.py's own diagnostics are published.
    await client.waitForDiagnostics(uriOf('b.py'), (p) => client.publishes.indexOf(p) >= before);
    assert.deepEqual(await client.codeActions(uriOf('blocks.py'), wholeFile, [], ['source.fixAll']), []);
  });

  it('IW901: a module\'s suppression that silences only what an open importer reaches is not unused, and fix-all keeps it', async () => {
    const suppressed = LAYERS.replace('nn.init.xavier_normal_(self.conv.weight)', 'nn.init.xavier_normal_(self.conv.weight)  # initwise: ignore[IW101]');
    // Alone, nothing uses it.
    await client.open(uriOf('layers.py'), 'python', suppressed);
    const alone = await client.diagnosticsFor(uriOf('layers.py'), 1);
    assert.deepEqual(alone.diagnostics.map((d) => d.code), ['IW901']);
    // The importer opens: its analysis uses the comment; the module is published again without IW901.
    const before = client.publishes.length;
    await client.open(uriOf('main.py'), 'python', MAIN);
    await client.waitForDiagnostics(uriOf('layers.py'), (p) => client.publishes.indexOf(p) >= before && p.version === 1 && p.diagnostics.length === 0);
    const wholeFile = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    assert.deepEqual(await client.codeActions(uriOf('layers.py'), wholeFile, [], ['source.fixAll']), []);
  });
});
