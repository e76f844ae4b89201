/**
 * What the VS Code client builds its UI on, over real stdio: the analysis status
 * notification (language status item) and the per-rule "Fix all IWxxx in file" quick fix.
 */
import { strict as assert } from 'node:assert';
import { CodeActionKind, type CodeAction, type Command } from 'vscode-languageserver-protocol';
import {
  ANALYSIS_STATUS_CAPABILITY,
  ANALYSIS_STATUS_NOTIFICATION,
  CLIENT_COMMANDS,
  SHOW_SIGNAL_REPORT_COMMAND,
  type AnalysisStatusParams,
} from '../../server/src/protocol';
import { LspTestClient, applyTextEdits, editsFor } from './client';
import { MLP_GLOROT_RELU, codes, freshUri } from './fixtures';

/** Two layers without an initializer: two IW301 findings, each with a safe fix. */
const TWO_IMPLICIT_DEFAULTS = [
  'network twice framework=pytorch {',
  '  input 256',
  '  dense 128 activation=relu',
  '  dense 128 activation=relu',
  '  dense 10 activation=softmax init=glorot_uniform',
  '}',
  '',
].join('\n');

function codeActionsOnly(items: (CodeAction | Command)[]): CodeAction[] {
  return items.filter((item): item is CodeAction => typeof item.command !== 'string');
}

describe('lsp: analysis status for the editor', () => {
  it('is sent after each publish to a client that opts in, with the findings count and a duration', async () => {
    const client = await LspTestClient.start({ experimental: { [ANALYSIS_STATUS_CAPABILITY]: true } });
    const statuses: AnalysisStatusParams[] = [];
    client.connection.onNotification(ANALYSIS_STATUS_NOTIFICATION, (params: AnalysisStatusParams) => {
      statuses.push(params);
    });
    try {
      const uri = freshUri('status');
      await client.open(uri, 'netdef', MLP_GLOROT_RELU);
      const published = await client.diagnosticsFor(uri, 1);
      // The notification follows the publish on the same ordered stream: wait for it with a real request round trip.
      await client.hover(uri, { line: 0, character: 0 });
      const status = statuses.find((s) => s.uri === uri && s.version === 1);
      assert.ok(status, `no status for ${uri}: ${JSON.stringify(statuses)}`);
      assert.equal(status.state, 'done');
      assert.equal(status.findings, published.diagnostics.length);
      assert.ok(status.findings > 0);
      assert.ok(Number.isFinite(status.durationMs) && status.durationMs >= 0);

      await client.changeConfiguration({ initwise: { enable: false } });
      await client.waitForDiagnostics(uri, (p) => p.diagnostics.length === 0);
      await client.hover(uri, { line: 0, character: 0 });
      assert.equal(statuses.at(-1)?.state, 'disabled');
      assert.equal(statuses.at(-1)?.findings, 0);
    } finally {
      await client.stop();
    }
  });

  it('is not sent to a client that did not ask for it', async () => {
    const client = await LspTestClient.start();
    let received = 0;
    client.connection.onNotification(ANALYSIS_STATUS_NOTIFICATION, () => {
      received++;
    });
    try {
      const uri = freshUri('nostatus');
      await client.open(uri, 'netdef', MLP_GLOROT_RELU);
      await client.diagnosticsFor(uri, 1);
      await client.hover(uri, { line: 0, character: 0 });
      assert.equal(received, 0);
    } finally {
      await client.stop();
    }
  });
});

describe('lsp: quick fixes grouped per rule', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  it('closes a rule group with "Fix all IW301 in file", which fixes every IW301 at once', async () => {
    const uri = freshUri('ruleFixAll');
    await client.open(uri, 'netdef', TWO_IMPLICIT_DEFAULTS);
    const diagnostics = (await client.diagnosticsFor(uri, 1)).diagnostics;
    const iw301 = diagnostics.filter((d) => d.code === 'IW301');
    assert.equal(iw301.length, 2, JSON.stringify(codes(diagnostics)));

    const actions = codeActionsOnly(await client.codeActions(uri, iw301[0]!.range, diagnostics, [CodeActionKind.QuickFix]));
    const titles = actions.map((a) => a.title);
    const fixAllIndex = titles.indexOf('Fix all IW301 in file (safe fixes)');
    assert.ok(fixAllIndex >= 0, JSON.stringify(titles));
    assert.equal(titles.filter((t) => t.startsWith('Fix all IW301')).length, 1, 'one per rule, not per diagnostic');
    // Grouped: no IW301 action after the group's fix-all, and the fix-all comes after every IW301 action.
    const iw301Actions = actions.map((a, i) => ({ a, i })).filter(({ a }) => a.diagnostics?.every((d) => d.code === 'IW301'));
    assert.equal(Math.max(...iw301Actions.map(({ i }) => i)), fixAllIndex);
    const fixAll = actions[fixAllIndex]!;
    assert.equal(fixAll.kind, CodeActionKind.QuickFix);
    assert.equal(fixAll.isPreferred, undefined, 'never preferred over a single fix');

    const fixed = applyTextEdits(TWO_IMPLICIT_DEFAULTS, editsFor(fixAll.edit!, uri, 1));
    await client.change(uri, 2, fixed);
    const after = (await client.diagnosticsFor(uri, 2)).diagnostics;
    assert.deepEqual(after.filter((d) => d.code === 'IW301'), [], `both IW301 fixed: ${JSON.stringify(codes(after))}`);
  });

  it('offers no per-rule fix-all for a rule with a single finding', async () => {
    const uri = freshUri('ruleFixAllSingle');
    await client.open(uri, 'netdef', MLP_GLOROT_RELU);
    const diagnostics = (await client.diagnosticsFor(uri, 1)).diagnostics;
    const actions = codeActionsOnly(await client.codeActions(uri, diagnostics[0]!.range, diagnostics, [CodeActionKind.QuickFix]));
    assert.deepEqual(actions.filter((a) => a.title.startsWith('Fix all ')), []);
  });
});

describe('protocol: client command ids', () => {
  it('the client registers the command the code lens runs', () => {
    assert.equal(CLIENT_COMMANDS.showSignalReport, SHOW_SIGNAL_REPORT_COMMAND);
  });
});
