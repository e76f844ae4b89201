/**
 * A model class that subclasses nn.Transformer (pytorch/examples' word_language_model:
 * `class TransformerModel(nn.Transformer)`, `super().__init__(d_model=…, nhead=…, …)`, its own
 * head assigned over `self.decoder`, `self.encoder(src)` in the forward pass) is read as the
 * network it builds (interpreter.ts libraryBaseInit): the encoder stack with its final
 * LayerNorm, every weight xavier_uniform_ as nn.Transformer's _reset_parameters leaves it, each
 * block its own draw. Checked against PyTorch 1.13 (test/reference/transformer/
 * transformer_subclass.{py,json}), post-LN (the example's) and pre-LN, at d_model 128, 3 blocks,
 * 64 tokens, dropout 0: the stream at every residual sum, the feed-forward Linears and the head,
 * the embedding's gradient, within PyTorch's seed spread or the floors the other transformer
 * oracle tests use (3% of a second moment, 0.015 of a correlation, 8% of a gradient).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import type { Network } from '../../server/src/core/ir';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { encoderStackMismatches } from '../support/tokenStreamOracle';

interface Seed {
  emb_m2: number; input_m2: number; final_m2: number; stream_m2: number[]; stream_rho: number[]; stream_grad: number[];
  onehot_grad: number; linear_fwd: number[]; linear_grad: number[];
}
interface Measured {
  id: string; norm_first: boolean; tokens: number; d_model: number; heads: number; d_hid: number; n_layer: number; ntoken: number;
  per_seed: Seed[];
}

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'rules', 'IW402', 'clean_transformer_subclass_pytorch.py');
const fixture = fs.readFileSync(FIXTURE, 'utf8');

/** The measured model as code: the fixture at the measured sizes, pre-LN where measured so. */
function codeOf(m: Measured): string {
  let text = fixture;
  for (const [name, value] of [['vocab', m.ntoken], ['width', m.d_model], ['heads', m.heads], ['hidden', m.d_hid], ['depth', m.n_layer]] as const) {
    const line = new RegExp(`^${name} = [0-9]+$`, 'm');
    assert.ok(line.test(text), `the fixture sets no ${name}`);
    text = text.replace(line, `${name} = ${value}`);
  }
  text = text.replace('(64, 4)', `(${m.tokens}, 4)`);
  if (m.norm_first) text = text.replace('dropout=dropout)', 'dropout=dropout, norm_first=True)');
  return text;
}

describe('a model class subclassing nn.Transformer vs PyTorch (word_language_model\'s TransformerModel)', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const measured = readReference<{ results: Measured[] }>('transformer/transformer_subclass.json').results;

  function network(m: Measured): Network {
    const found = analyze({ text: codeOf(m), languageId: 'python', python }).networks.find((n) => n.name === 'TokenTransformer');
    assert.ok(found, 'no network TokenTransformer');
    // A sample's sequence length is not read (only a position table's rows are): the measured one.
    return { ...found, tokens: m.tokens };
  }

  it('reads the encoder nn.Transformer builds: its blocks and final LayerNorm, xavier_uniform_ weights, the subclass\'s head in place of the decoder', () => {
    for (const m of measured) {
      const n = network(m);
      assert.equal(n.unsimulable, undefined, m.id);
      assert.equal(n.monteCarloOnly, undefined, `${m.id}: the blocks are drawn after cloning, not copies`);
      // The embedding, per block q, k, v, out, linear1, linear2, then the head.
      assert.equal(n.layers.length, 1 + 6 * m.n_layer + 1, m.id);
      const head = n.layers.at(-1)!;
      assert.deepEqual(head.fans, { fanIn: m.d_model, fanOut: m.ntoken });
      assert.equal(head.init.label, 'uniform_(-bound, bound)');
      const linear1 = n.layers[5]!;
      assert.deepEqual(linear1.fans, { fanIn: m.d_model, fanOut: m.d_hid });
      assert.match(linear1.init.label, /nn\.Transformer default: xavier_uniform_/);
      const blocks = n.ops.filter((op) => op.op === 'residual');
      assert.equal(blocks.length, 2 * m.n_layer, m.id);
    }
  });

  for (const m of measured) {
    it(`${m.id}: analytic pass within PyTorch's seed spread (stream, correlation, gradients, the Linears, the embedding's gradient)`, () => {
      const s = simulateTokenStream(network(m), NEVER_CANCELLED, { gradientAtLogits: false });
      assert.ok(s, 'the token stream is simulated');
      const failures = encoderStackMismatches(s, m);
      assert.deepEqual(failures, []);
    });
  }
});
