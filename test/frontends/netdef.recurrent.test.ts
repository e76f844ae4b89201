/** `rnn`, `lstm`, `gru` statements (issue 15; docs/netdef.md "rnn, lstm, gru"): what they lower to and their mistakes. */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import type { WeightLayer } from '../../server/src/core/ir';
import { whyNotSimulable } from '../../server/src/core/report/simulability';

function layers(text: string): WeightLayer[] {
  return analyze({ text, languageId: 'netdef' }).networks.flatMap((n) => n.layers);
}
function messages(text: string): string[] {
  return analyze({ text, languageId: 'netdef' }).findings.filter((f) => f.code === 'IW001' || f.code === 'IW002').map((f) => f.message);
}

describe('netdef: recurrent layers', () => {
  it('lowers an LSTM with the framework defaults: PyTorch U(±1/√h) kernels, Keras orthogonal and unit_forget_bias', () => {
    const [torch] = layers('network a framework=pytorch {\n  input 32\n  lstm 64 bias=default\n}\n');
    assert.equal(torch!.kind, 'recurrent');
    assert.deepEqual(torch!.fans, { fanIn: 32, fanOut: 256 });
    const spec = torch!.recurrent!;
    assert.equal(spec.cell, 'lstm');
    assert.deepEqual(spec.steps, { value: 100, fromCode: false });
    assert.equal(spec.recurrentInit.kind === 'drawn' && spec.recurrentInit.init.semantics?.kind, 'uniform');
    // bias=default: PyTorch's two vectors, each U(±1/√64), Var = 1/192.
    assert.deepEqual(spec.gateBiases![1], { mean: 0, varianceIh: 1 / 192, varianceHh: 1 / 192 });

    const [keras] = layers('network k framework=keras {\n  input 32\n  lstm 64 steps=30\n}\n');
    const kspec = keras!.recurrent!;
    assert.deepEqual(kspec.steps, { value: 30, fromCode: true });
    assert.equal(kspec.recurrentInit.kind === 'drawn' && kspec.recurrentInit.init.semantics?.kind, 'orthogonal');
    assert.deepEqual(kspec.recurrentFrameworkFans, { fanIn: 64, fanOut: 256 });
    assert.equal(kspec.gateBiases![1]!.mean, 1, 'unit_forget_bias=True');
    assert.equal(kspec.gateBiases![0]!.mean, 0);
  });

  it('reads identity kernels, ReLU RNNs, forget_bias and bidirectional widths', () => {
    const [rnn, dense] = layers('network r framework=pytorch {\n  input 2\n  rnn 100 activation=relu recurrent_init=identity(gain=0.5) bidirectional=true\n  dense 1\n}\n');
    const spec = rnn!.recurrent!;
    assert.equal(spec.nonlinearity !== 'unknown' && spec.nonlinearity.name, 'relu');
    assert.deepEqual(spec.recurrentInit.kind === 'identity' && spec.recurrentInit.gain, 0.5);
    assert.equal(spec.bidirectional, true);
    assert.equal(dense!.fans!.fanIn, 200, 'two directions concatenated');
    const [lstm] = layers('network f framework=flax {\n  input 8\n  lstm 16 forget_bias=2\n}\n');
    assert.deepEqual(lstm!.recurrent!.gateBiases![1], { mean: 2, varianceIh: 0, varianceHh: 0 });
  });

  it('reports mistakes precisely and keeps the rest', () => {
    assert.match(messages('network a {\n  input 3x8x8\n  lstm 16\n}\n').join('\n'), /lstm reads one feature vector per step, but its input is 3x8x8 \(CxHxW\): add 'flatten' or a dense layer before it/);
    assert.match(messages('network a {\n  input 8\n  gru 16 forget_bias=1\n}\n').join('\n'), /'gru' has no option 'forget_bias'/);
    assert.match(messages('network a {\n  input 8\n  rnn 16 activation=gelu\n}\n').join('\n'), /an rnn's nonlinearity is tanh or relu \(as in PyTorch's nn\.RNN\), got 'gelu'/);
    assert.match(messages('network a {\n  input 8\n  lstm 16 steps=20000\n}\n').join('\n'), /steps is at most 10000/);
    assert.match(messages('network a {\n  input 8\n  lstm 16 recurrent_init=orthogonl\n}\n').join('\n'), /unknown initializer 'orthogonl'/);
  });

  it('says why a recurrent network has no analytic simulation', () => {
    const result = analyze({ text: 'network n framework=pytorch {\n  input 2\n  rnn 100 activation=relu recurrent_init=identity\n  dense 1\n}\n', languageId: 'netdef' });
    assert.equal(result.simulations[0], undefined);
    assert.equal(whyNotSimulable(result.networks[0]!), 'layer 1 has an identity recurrent kernel, which has no mean field: run Monte-Carlo');
  });
});
