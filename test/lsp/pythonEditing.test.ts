/**
 * Typing in a Python file, over real stdio: the server analyses each version with the
 * document's memory (incremental re-parse, units reused), so after every keystroke the
 * diagnostics must be exactly those of the same text opened fresh — in a new document
 * the server has never seen. Closing the document frees its memory; reopening starts over.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspTestClient } from './client';
import { freshUri } from './fixtures';

const root = path.resolve(__dirname, '..', '..');
const example = (name: string) => fs.readFileSync(path.join(root, 'examples', name), 'utf8');

/** What the user sees of a diagnostic (the data field carries the document version). */
function shown(diagnostics: readonly Diagnostic[]): string {
  return JSON.stringify(diagnostics.map((d) => ({ range: d.range, code: d.code, message: d.message, severity: d.severity, related: d.relatedInformation?.length ?? 0 })));
}

/** Line and character of `offset` in `text`. */
function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before.at(-1)!.length };
}

describe('lsp: typing in a Python file', function () {
  this.timeout(60_000);
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  async function fresh(text: string): Promise<string> {
    const uri = freshUri('fresh', 'py');
    await client.open(uri, 'python', text);
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    await client.close(uri);
    await client.waitForDiagnostics(uri, (p) => p.version === undefined && p.diagnostics.length === 0);
    return shown(diagnostics);
  }

  it('publishes, after each keystroke, what a fresh analysis of that text publishes', async () => {
    let text = `${example('pytorch_resnet.py')}\n\n${example('pytorch_default_mlp.py')}`;
    const uri = freshUri('typing', 'py');
    await client.open(uri, 'python', text);
    await client.diagnosticsFor(uri, 1);
    let version = 1;
    // Type a new layer into ResNet, character by character (the file is broken midway: an
    // unclosed parenthesis), then delete `bias=False` from BasicBlock in one edit.
    const anchor = text.indexOf('        self.fc = nn.Linear(channels, num_classes)\n') + '        self.fc = nn.Linear(channels, num_classes)\n'.length;
    const typed = '        self.extra = nn.Linear(channels, channels)\n';
    const steps: { offset: number; remove: number; insert: string }[] = [...typed].map((ch, i) => ({ offset: anchor + i, remove: 0, insert: ch }));
    const bias = text.indexOf(', bias=False');
    steps.push({ offset: bias, remove: ', bias=False'.length, insert: '' });
    let checked = 0;
    for (const [i, step] of steps.entries()) {
      const range = { start: positionAt(text, step.offset), end: positionAt(text, step.offset + step.remove) };
      text = text.slice(0, step.offset) + step.insert + text.slice(step.offset + step.remove);
      version++;
      await client.change(uri, version, [{ range, text: step.insert }]);
      // Every few keystrokes (and the last): compare with a fresh analysis of the same text.
      if (i % 7 === 0 || i === steps.length - 1) {
        const { diagnostics } = await client.diagnosticsFor(uri, version);
        assert.equal(shown(diagnostics), await fresh(text), `after keystroke ${i + 1}`);
        checked++;
      }
    }
    assert.ok(checked >= 8);
    assert.deepEqual(client.errorLogs, []);
  });

  it('forgets a closed document: reopened with other text, it is analysed from scratch', async () => {
    const uri = freshUri('reopen', 'py');
    await client.open(uri, 'python', example('pytorch_default_mlp.py'));
    await client.diagnosticsFor(uri, 1);
    await client.close(uri);
    // Closing clears the document's diagnostics (a publish without a version).
    await client.waitForDiagnostics(uri, (p) => p.version === undefined && p.diagnostics.length === 0);
    const other = example('keras_selu_dropout.py');
    await client.open(uri, 'python', other);
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    assert.equal(shown(diagnostics), await fresh(other));
    assert.ok(client.alive);
  });
});
