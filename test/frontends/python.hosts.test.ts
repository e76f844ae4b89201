/**
 * The hosts load the Python parser from dist/ and use it: the built CLI on a folder of
 * .py and .netdef files, and the real language server over stdio (diagnostics, a quick fix
 * applied and re-linted, hover).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CodeAction } from 'vscode-languageserver-protocol';
import { applyTextEdits, editsFor, LspTestClient } from '../lsp/client';
import { codes, freshUri, textOf } from '../lsp/fixtures';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

const MODEL = `import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.fc2 = nn.Linear(512, 10)
        nn.init.xavier_uniform_(self.fc1.weight)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))
`;

describe('python in the hosts', function () {
  this.timeout(60_000);

  it('the CLI reads .py files with the parser from dist/', () => {
    assert.ok(fs.existsSync(path.join(root, 'dist', 'tree-sitter-python.wasm')), 'esbuild.mjs copies the grammar into dist/');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-py-'));
    fs.writeFileSync(path.join(dir, 'model.py'), MODEL);
    fs.writeFileSync(path.join(dir, 'notes.py'), 'print("no model here")\n');
    const run = spawnSync(process.execPath, [cli, 'check', '.', '--format', 'json'], { cwd: dir, encoding: 'utf8' });
    // 0: the two-layer network ends inside the band, so its IW101 is info (issue 13: severity follows impact).
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { files: { path: string; networks: { name: string }[]; diagnostics: { code: string; line: number }[] }[] };
    const model = report.files.find((f) => f.path === 'model.py');
    assert.deepEqual(model?.networks.map((n) => n.name), ['Net']);
    assert.deepEqual(model?.diagnostics.map((d) => [d.code, d.line]), [['IW101', 10]]);
  });

  describe('language server', () => {
    let client: LspTestClient;
    before(async () => {
      client = await LspTestClient.start();
    });
    after(async () => {
      await client.stop();
    });

    it('publishes Python diagnostics, applies the quick fix and clears the finding', async () => {
      const uri = freshUri('model', 'py');
      await client.open(uri, 'python', MODEL);
      const { diagnostics } = await client.diagnosticsFor(uri, 1);
      assert.deepEqual(codes(diagnostics), ['IW101']);
      assert.equal(textOf(MODEL, diagnostics[0]!.range), 'nn.init.xavier_uniform_(self.fc1.weight)');

      const actions = (await client.codeActions(uri, diagnostics[0]!.range, diagnostics)) as CodeAction[];
      const use = actions.find((a) => a.title.startsWith('Use kaiming_normal_'));
      assert.ok(use?.edit, actions.map((a) => a.title).join(', '));
      const fixed = applyTextEdits(MODEL, editsFor(use.edit, uri, 1));
      assert.match(fixed, /nn\.init\.kaiming_normal_\(self\.fc1\.weight, nonlinearity="relu"\)/);
      await client.change(uri, 2, fixed);
      const after = await client.diagnosticsFor(uri, 2);
      assert.deepEqual(codes(after.diagnostics), []);
    });

    it('hovers a Python layer with its fans and initializer', async () => {
      const uri = freshUri('hover', 'py');
      await client.open(uri, 'python', MODEL);
      await client.diagnosticsFor(uri, 1);
      const line = MODEL.split('\n').findIndex((l) => l.includes('self.fc1 = nn.Linear'));
      const hover = await client.hover(uri, { line, character: MODEL.split('\n')[line]!.indexOf('nn.Linear') + 3 });
      const text = JSON.stringify(hover?.contents ?? '');
      assert.match(text, /784/);
      assert.match(text, /xavier_uniform_/);
    });

    it('names the kernel of a separable or transposed conv in the hover title', async () => {
      const source = `import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(32, 32, 64)),
    layers.SeparableConv2D(128, 3, padding="same", activation="relu"),
    layers.Conv2DTranspose(64, 4, strides=2, padding="same", activation="relu"),
])
`;
      const uri = freshUri('hover-kernels', 'py');
      await client.open(uri, 'python', source);
      await client.diagnosticsFor(uri, 1);
      const lines = source.split('\n');
      const hoverAt = async (needle: string) => {
        const line = lines.findIndex((l) => l.includes(needle));
        const hover = await client.hover(uri, { line, character: lines[line]!.indexOf(needle) + 1 });
        return JSON.stringify(hover?.contents ?? '');
      };
      // The depthwise kernel's findings and hover sit on kernel_size (the "3"), the pointwise one's on the name.
      assert.match(await hoverAt(' 3,'), /depthwise kernel of a separable conv/);
      assert.doesNotMatch(await hoverAt('SeparableConv2D'), /depthwise kernel/);
      assert.match(await hoverAt('Conv2DTranspose'), /\(transposed\)/);
    });
  });
});
