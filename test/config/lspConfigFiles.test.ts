/**
 * The language server reads the same configuration files as the CLI, merges the editor's
 * settings over them, and re-lints open documents when a configuration file changes
 * (workspace/didChangeWatchedFiles). Real server over stdio.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isExcludedDocument, mergeEditorOverFile } from '../../server/src/lsp/configFiles';
import { DEFAULT_SETTINGS } from '../../server/src/core/settings';
import { LspTestClient } from '../lsp/client';

const MIXED = ['network mixed framework=pytorch {', '  input 64', '  dense 64 activation=relu init=glorot_uniform', '  dense 64 activation=relu', '  dense 10 init=xavier_uniform', '}', ''].join('\n');

describe('lsp: configuration files', () => {
  let client: LspTestClient;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-lsp-config-'));
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  it('applies the nearest initwise.toml and reloads it when it changes on disk', async () => {
    const config = path.join(dir, 'initwise.toml');
    fs.writeFileSync(config, 'ignore = ["IW101"]\n');
    fs.mkdirSync(path.join(dir, 'models'));
    const uri = pathToFileURL(path.join(dir, 'models', 'a.netdef')).href;
    await client.open(uri, 'netdef', MIXED);
    const first = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(first.diagnostics.map((d) => d.code), ['IW301']);

    fs.writeFileSync(config, '[severity]\nIW301 = "off"\nIW101 = "error"\n');
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(config).href, type: 2 }] });
    const reloaded = await client.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.code === 'IW101'));
    assert.deepEqual(reloaded.diagnostics.map((d) => `${String(d.code)}:${d.severity}`), ['IW101:1']);
  });

  it('merges editor settings over the file the way CLI flags merge over it', () => {
    const loaded = { root: '/p', config: { select: ['IW1'], ignore: ['IW105'], severity: { IW101: 'error' as const }, simulation: { band: 30 }, perFileIgnores: [{ pattern: 'tests/**', codes: ['IW104'] }] } };
    const editor = { ...DEFAULT_SETTINGS, ignore: ['IW102'], severity: { IW101: 'warning' as const } };
    assert.deepEqual(mergeEditorOverFile(editor, loaded, '/p/tests/x.netdef'), {
      ...DEFAULT_SETTINGS,
      select: ['IW1'],
      ignore: ['IW105', 'IW104', 'IW102'],
      severity: { IW101: 'warning' },
      band: 30,
    });
    assert.deepEqual(mergeEditorOverFile({ ...DEFAULT_SETTINGS, select: ['IW3'], band: 10 }, loaded, '/p/a.netdef').select, ['IW3']);
    assert.equal(mergeEditorOverFile({ ...DEFAULT_SETTINGS, band: 10 }, loaded, '/p/a.netdef').band, 10);
  });

  it('mirrors extend-select and per-file-ignores in the editor, relative to the workspace folder', () => {
    const files = { extendSelect: ['IW301'], perFileIgnores: [{ pattern: 'tests/**', codes: ['IW105'] }], exclude: [] };
    const editor = { ...DEFAULT_SETTINGS, select: ['IW1'] };
    const inTests = mergeEditorOverFile(editor, undefined, '/w/tests/x.netdef', files, '/w');
    assert.deepEqual([inTests.select, inTests.ignore], [['IW1', 'IW301'], ['IW105']]);
    const elsewhere = mergeEditorOverFile(editor, undefined, '/w/models/x.netdef', files, '/w');
    assert.deepEqual([elsewhere.select, elsewhere.ignore], [['IW1', 'IW301'], []]);
    // With a configuration file, the editor's lists add to the file's.
    const loaded = { root: '/w', config: { select: ['IW2'], perFileIgnores: [{ pattern: 'tests/**', codes: ['IW104'] }] } };
    assert.deepEqual(mergeEditorOverFile(DEFAULT_SETTINGS, loaded, '/w/tests/x.netdef', files, '/w').ignore, ['IW104', 'IW105']);
  });

  it('excludes documents by the editor\'s initwise.exclude and by the file\'s exclude', () => {
    const files = { extendSelect: [], perFileIgnores: [], exclude: ['legacy/**'] };
    assert.equal(isExcludedDocument(undefined, '/w/legacy/m.netdef', files, '/w'), true);
    assert.equal(isExcludedDocument(undefined, '/w/models/m.netdef', files, '/w'), false);
    assert.equal(isExcludedDocument(undefined, '/elsewhere/legacy/m.netdef', files, '/w'), false);
    const loaded = { root: '/w', config: { exclude: ['generated'] } };
    assert.equal(isExcludedDocument(loaded, '/w/generated/m.netdef', { ...files, exclude: [] }, undefined), true);
  });

  it('applies the mirrored keys in the real server (initializationOptions, workspace folders)', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-lsp-editor-keys-'));
    const server = await LspTestClient.start({
      workspaceFolders: [pathToFileURL(root).href],
      initializationOptions: { perFileIgnores: { 'tests/**': ['IW301'] }, exclude: ['legacy/**'] },
    });
    try {
      const inTests = pathToFileURL(path.join(root, 'tests', 'a.netdef')).href;
      await server.open(inTests, 'netdef', MIXED);
      assert.deepEqual((await server.diagnosticsFor(inTests, 1)).diagnostics.map((d) => d.code), ['IW101']);
      const legacy = pathToFileURL(path.join(root, 'legacy', 'b.netdef')).href;
      await server.open(legacy, 'netdef', MIXED);
      assert.deepEqual((await server.diagnosticsFor(legacy, 1)).diagnostics, []);
      const models = pathToFileURL(path.join(root, 'models', 'c.netdef')).href;
      await server.open(models, 'netdef', MIXED);
      assert.deepEqual((await server.diagnosticsFor(models, 1)).diagnostics.map((d) => d.code).sort(), ['IW101', 'IW301']);
    } finally {
      await server.stop();
    }
  });
});
