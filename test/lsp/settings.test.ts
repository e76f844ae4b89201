/** Settings over real stdio (workspace/configuration, didChangeConfiguration, initializationOptions) and their parsing. */
import { strict as assert } from 'node:assert';
import { DiagnosticSeverity } from 'vscode-languageserver-protocol';
import { DEFAULT_SERVER_SETTINGS, parseServerSettings } from '../../server/src/lsp/settings';
import type { InitWiseConfiguration } from '../../server/src/protocol';
import { LspTestClient } from './client';
import { MLP_GLOROT_RELU, codes, freshUri } from './fixtures';

describe('lsp: settings', () => {
  it('pulls per-document settings and re-lints open documents when they change', async () => {
    let configuration: InitWiseConfiguration = { severity: { IW101: 'error' } };
    const asked: (string | undefined)[] = [];
    const client = await LspTestClient.start({
      configuration: (item) => {
        asked.push(item.scopeUri);
        return item.section === 'initwise' ? configuration : null;
      },
    });
    try {
      const uri = freshUri('settings');
      await client.open(uri, 'netdef', MLP_GLOROT_RELU);
      const first = await client.diagnosticsFor(uri, 1);
      assert.deepEqual(codes(first.diagnostics), ['IW101']);
      assert.equal(first.diagnostics[0]!.severity, DiagnosticSeverity.Error);
      assert.ok(asked.includes(uri), 'asked with the document as scope');

      configuration = { severity: { IW101: 'off' } };
      const before = client.publishes.length;
      await client.changeConfiguration(null);
      const relinted = await client.waitForDiagnostics(uri, (p) => client.publishes.indexOf(p) >= before);
      assert.deepEqual(relinted.diagnostics, [], 'IW101 turned off');

      configuration = { enable: false };
      await client.changeConfiguration(null);
      await client.change(uri, 2, `${MLP_GLOROT_RELU}\n`);
      assert.deepEqual((await client.diagnosticsFor(uri, 2)).diagnostics, [], 'disabled: nothing reported');
      assert.equal(await client.hover(uri, { line: 3, character: 6 }), null, 'disabled: no hover');

      configuration = { severity: { IW101: 'hint' } };
      const beforeHint = client.publishes.length;
      await client.changeConfiguration(null);
      const hinted = await client.waitForDiagnostics(uri, (p) => client.publishes.indexOf(p) >= beforeHint);
      assert.equal(hinted.diagnostics[0]?.severity, DiagnosticSeverity.Hint);
    } finally {
      await client.stop();
    }
  });

  it('takes initializationOptions and pushed settings from a client without workspace/configuration', async () => {
    const client = await LspTestClient.start({ initializationOptions: { severity: { IW101: 'info' } } });
    try {
      const uri = freshUri('neovim');
      await client.open(uri, 'netdef', MLP_GLOROT_RELU);
      const first = await client.diagnosticsFor(uri, 1);
      assert.equal(first.diagnostics[0]?.severity, DiagnosticSeverity.Information);

      // Neovim pushes every server's settings in one object; only `initwise` is ours.
      const before = client.publishes.length;
      await client.changeConfiguration({ initwise: { severity: { IW101: 'error' } }, otherServer: { enable: false } });
      const relinted = await client.waitForDiagnostics(uri, (p) => client.publishes.indexOf(p) >= before);
      assert.equal(relinted.diagnostics[0]?.severity, DiagnosticSeverity.Error);
    } finally {
      await client.stop();
    }
  });

  it('survives malformed settings, falling back to defaults', async () => {
    const client = await LspTestClient.start({
      configuration: () => ({ enable: 'yes', severity: { IW101: 'loud', IW002: 42 }, simulation: { band: 'wide' }, debounceMs: -3 }),
    });
    try {
      const uri = freshUri('malformed');
      await client.open(uri, 'netdef', MLP_GLOROT_RELU);
      const first = await client.diagnosticsFor(uri, 1);
      assert.deepEqual(codes(first.diagnostics), ['IW101']);
      // The default: by impact (the network ends inside the band: information), not the malformed 'loud'.
      assert.equal(first.diagnostics[0]!.severity, DiagnosticSeverity.Information);
    } finally {
      await client.stop();
    }
  });
});

describe('lsp: settings parsing', () => {
  it('maps the initwise section onto engine settings', () => {
    const parsed = parseServerSettings({
      enable: false,
      severity: { iw101: 'Error', IW301: 'off', IW105: 'information' },
      simulation: { band: 50, mode: 'montecarlo' },
      select: ['iw1', ''],
      ignore: ['IW105'],
      extendSelect: ['iw3'],
      perFileIgnores: { 'tests/**': ['iw105'], 'empty/**': [] },
      exclude: ['legacy/**', 3],
      kerasVersion: ' 3.15 ',
      debounceMs: 25,
    });
    assert.deepEqual(parsed, {
      enable: false,
      debounceMs: 25,
      engine: {
        severity: { IW101: 'error', IW301: 'off', IW105: 'info' }, band: 50, simulation: 'montecarlo', select: ['IW1'], ignore: ['IW105'], kerasVersion: '3.15',
      },
      files: { extendSelect: ['IW3'], perFileIgnores: [{ pattern: 'tests/**', codes: ['IW105'] }], exclude: ['legacy/**'] },
    });
  });

  it('replaces every malformed value by its default', () => {
    assert.deepEqual(parseServerSettings(undefined), DEFAULT_SERVER_SETTINGS);
    assert.deepEqual(parseServerSettings([1, 2]), DEFAULT_SERVER_SETTINGS);
    assert.deepEqual(
      parseServerSettings({ enable: 1, severity: ['IW101'], simulation: { band: 0.5 }, select: 'IW1', debounceMs: Number.NaN, kerasVersion: '3' }),
      DEFAULT_SERVER_SETTINGS,
    );
    assert.equal(parseServerSettings({ debounceMs: 1e9 }).debounceMs, 5000, 'clamped');
    assert.equal(parseServerSettings({ simulation: { band: Infinity } }).engine.band, 100);
  });
});
