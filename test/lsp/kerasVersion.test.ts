/**
 * The Keras version behind MultiHeadAttention's fans (frameworks/kerasVersion.ts) through the
 * real server over stdio: the project's requirements.txt decides, a change to it on disk
 * (workspace/didChangeWatchedFiles) re-analyses the document, and `initwise.kerasVersion` wins.
 *
 * The model's VarianceScaling(scale=16, fan_in) on 16 heads of 16 over d_model 256 gives a
 * query column fan_in·Var(W) = 16·256/256 = 16 with Keras ≥ 3.15's einsum fans (logit std 16:
 * IW401) and 16·256/(16·256) = 1 with the kernel-shape fans before 3.15 (quiet).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspTestClient } from './client';

const MAIN = `import keras
from keras import layers

init = keras.initializers.VarianceScaling(scale=16.0, mode="fan_in", distribution="untruncated_normal")
inputs = keras.Input(shape=(128,), dtype="int32")
x = layers.Embedding(1000, 256)(inputs)
h = layers.LayerNormalization()(x)
h = layers.MultiHeadAttention(num_heads=16, key_dim=16, kernel_initializer=init)(h, h)
x = layers.Add()([x, h])
outputs = layers.Dense(1000)(layers.LayerNormalization()(x))
model = keras.Model(inputs, outputs)
`;

describe('lsp: the Keras version of MultiHeadAttention\'s fans', function () {
  this.timeout(60_000);
  let dir: string;
  const uriOf = (name: string) => pathToFileURL(path.join(dir, name)).toString();
  const has401 = (p: { diagnostics: readonly { code?: unknown }[] }) => p.diagnostics.some((d) => d.code === 'IW401');

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-lsp-keras-'));
    fs.writeFileSync(path.join(dir, 'main.py'), MAIN);
    fs.writeFileSync(path.join(dir, 'requirements.txt'), 'keras==3.3.1\n');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the pin, watches requirements.txt and re-analyses when it changes', async () => {
    const client = await LspTestClient.start({ workspaceFolders: [pathToFileURL(dir).toString()], watchFiles: true });
    try {
      await client.open(uriOf('main.py'), 'python', MAIN);
      const first = await client.diagnosticsFor(uriOf('main.py'), 1);
      assert.ok(!has401(first), 'keras 3.3.1: kernel-shape fans, logits of unit spread');
      const registration = client.serverRequests.find((r) => r.method === 'client/registerCapability' && JSON.stringify(r.params).includes('didChangeWatchedFiles'));
      assert.ok(JSON.stringify(registration?.params).includes('**/requirements.txt'));
      const before = client.publishes.length;
      fs.writeFileSync(path.join(dir, 'requirements.txt'), 'keras==3.15.0\n');
      await client.changeWatchedFiles([{ uri: uriOf('requirements.txt'), type: 2 }]);
      await client.waitForDiagnostics(uriOf('main.py'), (p) => client.publishes.indexOf(p) >= before && has401(p));
      assert.deepEqual(client.errorLogs, []);
    } finally {
      await client.stop();
    }
  });

  it('initwise.kerasVersion wins over the pin', async () => {
    const client = await LspTestClient.start({ workspaceFolders: [pathToFileURL(dir).toString()], configuration: (item) => (item.section === 'initwise' ? { kerasVersion: '3.15' } : null) });
    try {
      await client.open(uriOf('main.py'), 'python', MAIN);
      const first = await client.diagnosticsFor(uriOf('main.py'), 1);
      assert.ok(has401(first), 'keras-version 3.15: einsum fans, logit std 16');
    } finally {
      await client.stop();
    }
  });
});
