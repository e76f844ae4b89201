/** Code actions over real stdio: quick fixes from diagnostic.data, fix-all, staleness, docs command. */
import { strict as assert } from 'node:assert';
import { CodeActionKind, type CodeAction, type Command, type Diagnostic } from 'vscode-languageserver-protocol';
import { DOCS_BASE_URL, FIX_ALL_KIND, SERVER_COMMANDS, isDiagnosticData } from '../../server/src/protocol';
import { LspTestClient, applyTextEdits, editsFor } from './client';
import { MLP_GLOROT_RELU, MLP_IMPLICIT_DEFAULT, codes, freshUri } from './fixtures';

function actionsOnly(items: (CodeAction | Command)[]): CodeAction[] {
  return items.map((item) => {
    assert.ok('title' in item && !('command' in item && typeof item.command === 'string'), 'code actions, not bare commands');
    return item as CodeAction;
  });
}

async function openAndLint(client: LspTestClient, uri: string, text: string): Promise<Diagnostic[]> {
  await client.open(uri, 'netdef', text);
  return (await client.diagnosticsFor(uri, 1)).diagnostics;
}

describe('lsp: code actions', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  it('offers the fixes from diagnostic.data; applying one and re-linting removes the finding', async () => {
    const uri = freshUri('fix');
    const diagnostics = await openAndLint(client, uri, MLP_GLOROT_RELU);
    const iw101 = diagnostics.find((d) => d.code === 'IW101');
    assert.ok(iw101 && isDiagnosticData(iw101.data));

    const actions = actionsOnly(await client.codeActions(uri, iw101.range, [iw101]));
    const quickFixes = actions.filter((a) => a.edit);
    assert.deepEqual(quickFixes.map((a) => a.title), iw101.data.fixes.map((f) => f.title));
    for (const action of quickFixes) {
      assert.equal(action.kind, CodeActionKind.QuickFix);
      assert.deepEqual(action.diagnostics, [iw101]);
      assert.equal(action.isPreferred, false, 'IW101 fixes are unsafe: none is preferred');
    }
    const docs = actions.find((a) => a.title === 'Show docs for IW101');
    assert.ok(docs?.command);
    assert.equal(docs.command.command, SERVER_COMMANDS.openRuleDocs);
    assert.ok(!actions.some((a) => a.kind === FIX_ALL_KIND), 'unsafe fixes never make a fix-all');

    // Apply the first fix as the editor would: the edit is pinned to version 1.
    const edits = editsFor(quickFixes[0]!.edit!, uri, 1);
    const fixed = applyTextEdits(MLP_GLOROT_RELU, edits);
    assert.notEqual(fixed, MLP_GLOROT_RELU);
    // Send it as incremental changes, as VS Code does.
    await client.change(uri, 2, edits.map((e) => ({ range: e.range, text: e.newText })));
    const relinted = await client.diagnosticsFor(uri, 2);
    assert.ok(
      !relinted.diagnostics.some((d) => d.code === 'IW101' && d.range.start.line === iw101.range.start.line),
      `IW101 gone after the fix, got ${JSON.stringify(codes(relinted.diagnostics))}`,
    );
  });

  it('refuses to act on diagnostics from an older version', async () => {
    const uri = freshUri('stale');
    const diagnostics = await openAndLint(client, uri, MLP_GLOROT_RELU);
    const iw101 = diagnostics.find((d) => d.code === 'IW101');
    assert.ok(iw101);
    // Same finding, one more comment line at the end: version 2 has its own IW101.
    await client.change(uri, 2, `${MLP_GLOROT_RELU}# edited\n`);
    const fresh = (await client.diagnosticsFor(uri, 2)).diagnostics.find((d) => d.code === 'IW101');
    assert.ok(fresh);

    assert.deepEqual(await client.codeActions(uri, iw101.range, [iw101]), [], 'stale request: nothing');
    const current = actionsOnly(await client.codeActions(uri, fresh.range, [fresh]));
    assert.ok(current.some((a) => a.edit), 'the same request with the current diagnostics does get fixes');
  });

  it('fix-all applies the safe fixes only, as source.fixAll.initwise, and the result re-lints clean of them', async () => {
    const uri = freshUri('fixall');
    const text = MLP_IMPLICIT_DEFAULT.replace('dense 10 activation=softmax init=glorot_uniform', 'dense 64 activation=relu init=glorot_uniform\n  dense 10 activation=softmax init=glorot_uniform');
    const diagnostics = await openAndLint(client, uri, text);
    assert.ok(diagnostics.some((d) => d.code === 'IW301'), `IW301 expected, got ${JSON.stringify(codes(diagnostics))}`);
    assert.ok(diagnostics.some((d) => d.code === 'IW101'));
    const safeFixes = diagnostics.flatMap((d) => (isDiagnosticData(d.data) ? d.data.fixes : [])).filter((f) => f.applicability === 'safe');
    assert.ok(safeFixes.length >= 1, 'IW301 has a safe fix');

    const wholeFile = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const fixAll = actionsOnly(await client.codeActions(uri, wholeFile, [], ['source.fixAll']));
    assert.equal(fixAll.length, 1);
    assert.equal(fixAll[0]!.kind, FIX_ALL_KIND);
    assert.equal(fixAll[0]!.title, 'Fix all safe InitWise fixes in file');

    const fixed = applyTextEdits(text, editsFor(fixAll[0]!.edit!, uri, 1));
    await client.change(uri, 2, fixed);
    const after = (await client.diagnosticsFor(uri, 2)).diagnostics;
    assert.ok(!after.some((d) => d.code === 'IW301'), `IW301 fixed, got ${JSON.stringify(codes(after))}`);
    assert.ok(after.some((d) => d.code === 'IW101'), 'the unsafe IW101 fix was not applied in bulk');

    assert.deepEqual(await client.codeActions(uri, wholeFile, [], ['source.fixAll']), [], 'nothing left to fix: no action');
  });

  it('marks the first safe fix preferred, and filters by the requested kind', async () => {
    const uri = freshUri('kinds');
    const diagnostics = await openAndLint(client, uri, MLP_IMPLICIT_DEFAULT);
    const iw301 = diagnostics.find((d) => d.code === 'IW301');
    assert.ok(iw301 && isDiagnosticData(iw301.data));
    const firstSafe = iw301.data.fixes.find((f) => f.applicability === 'safe');
    assert.ok(firstSafe);

    const quick = actionsOnly(await client.codeActions(uri, iw301.range, [iw301], [CodeActionKind.QuickFix]));
    assert.ok(quick.length > 0);
    assert.ok(quick.every((a) => a.kind === CodeActionKind.QuickFix), 'only quick fixes when only=quickfix');
    assert.deepEqual(quick.filter((a) => a.isPreferred).map((a) => a.title), [firstSafe.title]);

    const all = actionsOnly(await client.codeActions(uri, iw301.range, [iw301]));
    assert.ok(all.some((a) => a.kind === FIX_ALL_KIND), 'no `only`: fix-all is offered too');
  });

  it('falls back to the current analysis for a diagnostic whose data the client dropped', async () => {
    const uri = freshUri('nodata');
    const diagnostics = await openAndLint(client, uri, MLP_GLOROT_RELU);
    const iw101 = diagnostics.find((d) => d.code === 'IW101');
    assert.ok(iw101 && isDiagnosticData(iw101.data));
    const withoutData: Diagnostic = { ...iw101 };
    delete withoutData.data;
    const actions = actionsOnly(await client.codeActions(uri, iw101.range, [withoutData]));
    assert.deepEqual(actions.filter((a) => a.edit).map((a) => a.title), iw101.data.fixes.map((f) => f.title));
  });

  it('opens the rule docs through window/showDocument', async () => {
    const before = client.serverRequests.length;
    await client.executeCommand(SERVER_COMMANDS.openRuleDocs, ['IW101']);
    const shown = client.serverRequests.slice(before).find((r) => r.method === 'window/showDocument');
    assert.deepEqual(shown?.params, { uri: `${DOCS_BASE_URL}/IW101.md`, external: true });
  });
});

describe('lsp: code actions for a client without versioned edits', () => {
  it('uses plain `changes`', async () => {
    const client = await LspTestClient.start({ documentChanges: false });
    try {
      const uri = freshUri('plain');
      const diagnostics = await openAndLint(client, uri, MLP_GLOROT_RELU);
      const iw101 = diagnostics.find((d) => d.code === 'IW101');
      assert.ok(iw101);
      const withEdit = actionsOnly(await client.codeActions(uri, iw101.range, [iw101])).find((a) => a.edit);
      assert.ok(withEdit?.edit?.changes?.[uri]?.length);
      assert.equal(withEdit.edit.documentChanges, undefined);
    } finally {
      await client.stop();
    }
  });
});
