/**
 * A model class whose base is nn.Transformer (modules.ts LIBRARY_MODULE_BASES): `super().__init__`
 * with arguments InitWise reads builds the encoder and decoder on the instance; arguments it cannot
 * read (`**kwargs`, a custom encoder) leave the encoder unknown: the network is not simulated,
 * never one with a guessed encoder. The numbers are checked against PyTorch in test/unit/transformerSubclass.oracle.test.ts.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { pythonSupport } from '../support/python';

const model = (superCall: string, instantiate = 'Wrapped(1000)') => `import torch
import torch.nn as nn


class Wrapped(nn.Transformer):
    def __init__(self, vocab, **kwargs):
        ${superCall}
        self.embed = nn.Embedding(vocab, 64)
        self.decoder = nn.Linear(64, vocab)

    def forward(self, tokens):
        return self.decoder(self.encoder(self.embed(tokens)))


model = ${instantiate}
y = model(torch.randint(0, 1000, (32, 4)))
`;

describe('Python: a model class subclassing nn.Transformer', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  it('reads the encoder super().__init__ builds, under the subclass\'s own head assigned over `self.decoder`', () => {
    const result = analyze({ text: model('super().__init__(d_model=64, nhead=4, dim_feedforward=128, num_encoder_layers=2)'), languageId: 'python', python });
    const network = result.networks.find((n) => n.name === 'Wrapped');
    assert.ok(network, 'no network Wrapped');
    assert.equal(network.unsimulable, undefined);
    // The embedding, two blocks of q, k, v, out, linear1, linear2, the head; the nn.Transformer's decoder is replaced.
    assert.equal(network.layers.length, 1 + 2 * 6 + 1);
    assert.deepEqual(network.layers[5]!.fans, { fanIn: 64, fanOut: 128 });
    assert.deepEqual(network.layers.at(-1)!.fans, { fanIn: 64, fanOut: 1000 });
    assert.deepEqual(result.findings.map((f) => f.code), []);
  });

  for (const [what, superCall, instantiate] of [
    ['**kwargs', 'super().__init__(**kwargs)', 'Wrapped(1000, d_model=64)'],
    ['a custom encoder', 'super().__init__(d_model=64, custom_encoder=nn.Identity())', undefined],
  ] as const) {
    it(`leaves the encoder unknown when super().__init__ passes ${what}: not simulated, no finding`, () => {
      const result = analyze({ text: model(superCall, instantiate), languageId: 'python', python });
      const network = result.networks.find((n) => n.name === 'Wrapped');
      assert.ok(network, 'no network Wrapped');
      // The embedding and the head; the encoder is not a layer InitWise guessed.
      assert.equal(network.layers.length, 2);
      assert.ok(network.unsimulable, 'simulated without its encoder');
      assert.deepEqual(result.findings.map((f) => f.code), []);
    });
  }
});
