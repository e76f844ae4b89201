/**
 * Debounce and staleness over real stdio: a burst of changes is linted after it, and
 * nothing computed for an older version is ever published once a newer one exists.
 */
import { strict as assert } from 'node:assert';
import { LspTestClient, type ReceivedDiagnostics } from './client';
import { MLP_CLEAN, MLP_GLOROT_RELU, codes, freshUri } from './fixtures';

const BURST = 30;

/** Alternates between a text with IW101 and one without, so each version's diagnostics differ. */
function textFor(version: number): string {
  return `${version % 2 === 0 ? MLP_GLOROT_RELU : MLP_CLEAN}# version ${version}\n`;
}

async function burst(client: LspTestClient, uri: string): Promise<number> {
  await client.open(uri, 'netdef', textFor(1));
  await client.diagnosticsFor(uri, 1);
  let version = 1;
  for (let i = 0; i < BURST; i++) await client.change(uri, ++version, textFor(version));
  return version;
}

function publishesFor(client: LspTestClient, uri: string): ReceivedDiagnostics[] {
  return client.publishes.filter((p) => p.uri === uri);
}

function assertMonotonic(publishes: readonly ReceivedDiagnostics[]): void {
  for (let i = 1; i < publishes.length; i++) {
    assert.ok(
      (publishes[i]!.version ?? 0) >= (publishes[i - 1]!.version ?? 0),
      `version ${String(publishes[i]!.version)} published after ${String(publishes[i - 1]!.version)}`,
    );
  }
}

describe('lsp: scheduling', () => {
  it(`coalesces ${BURST} rapid changes into one lint of the last version (debounce 200 ms)`, async () => {
    const client = await LspTestClient.start({ initializationOptions: { debounceMs: 200 } });
    try {
      const uri = freshUri('burst');
      const last = await burst(client, uri);
      const final = await client.diagnosticsFor(uri, last);
      assert.deepEqual(codes(final.diagnostics), last % 2 === 0 ? ['IW101'] : []);

      // One more change: its publish proves any timer still pending for the burst has had its chance to fire.
      await client.change(uri, last + 1, textFor(last + 1));
      await client.diagnosticsFor(uri, last + 1);
      assert.deepEqual(
        publishesFor(client, uri).map((p) => p.version),
        [1, last, last + 1],
        'a publish for the open, one for the whole burst, one for the extra change',
      );
    } finally {
      await client.stop();
    }
  });

  it('with the default debounce, never publishes an older version after a newer one', async () => {
    const client = await LspTestClient.start();
    try {
      const uri = freshUri('burst');
      const last = await burst(client, uri);
      const final = await client.diagnosticsFor(uri, last);
      assert.deepEqual(codes(final.diagnostics), last % 2 === 0 ? ['IW101'] : []);
      await client.change(uri, last + 1, textFor(last + 1));
      await client.diagnosticsFor(uri, last + 1);

      const publishes = publishesFor(client, uri);
      assertMonotonic(publishes);
      const afterLast = publishes.slice(publishes.indexOf(final) + 1);
      assert.deepEqual(afterLast.map((p) => p.version), [last + 1], 'nothing stale after the last version');
      // Every publish's findings belong to the version it names.
      for (const p of publishes) assert.deepEqual(codes(p.diagnostics), p.version! % 2 === 0 ? ['IW101'] : []);
    } finally {
      await client.stop();
    }
  });

  it('drops a run superseded while it waited for settings: one publish, for the newer version', async () => {
    let askedResolve!: () => void;
    const asked = new Promise<void>((resolve) => (askedResolve = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let requests = 0;
    const client = await LspTestClient.start({
      configuration: async () => {
        requests++;
        askedResolve();
        await released;
        return {};
      },
    });
    try {
      const uri = freshUri('held');
      await client.open(uri, 'netdef', textFor(1));
      await asked;
      // The lint of version 1 is now waiting for its settings; version 2 supersedes it.
      await client.change(uri, 2, textFor(2));
      release();
      const published = await client.diagnosticsFor(uri, 2);
      assert.deepEqual(codes(published.diagnostics), ['IW101']);
      // A later version's publish proves the superseded run has had every chance to publish.
      await client.change(uri, 3, textFor(3));
      await client.diagnosticsFor(uri, 3);
      assert.deepEqual(publishesFor(client, uri).map((p) => p.version), [2, 3], 'the superseded run published nothing');
      assert.equal(requests, 1, 'settings are asked once per document and cached');
    } finally {
      await client.stop();
    }
  });

  it('keeps documents apart: a burst on one does not delay or drop another', async () => {
    const client = await LspTestClient.start({ initializationOptions: { debounceMs: 100 } });
    try {
      const busy = freshUri('busy');
      const quiet = freshUri('quiet');
      await client.open(busy, 'netdef', textFor(1));
      await client.diagnosticsFor(busy, 1);
      await client.change(busy, 2, textFor(2));
      await client.open(quiet, 'netdef', MLP_GLOROT_RELU);
      await client.change(busy, 3, textFor(3));
      assert.deepEqual(codes((await client.diagnosticsFor(quiet, 1)).diagnostics), ['IW101']);
      assert.deepEqual((await client.diagnosticsFor(busy, 3)).diagnostics, []);
    } finally {
      await client.stop();
    }
  });
});
