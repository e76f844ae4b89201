/**
 * A normalisation divides by √(Var + ε) with the code's ε (ir.ts NormOp.epsilon) in every pass:
 * the per-layer analytic pass (analytic.ts), the token stream (tokenStream.ts) and Monte-Carlo
 * (montecarlo.ts: ε handed to the WebAssembly row kernels). On a signal of variance q the norm
 * hands on q/(q + ε) and divides the gradient by q + ε (the wide limit; test/unit/
 * kerasCrossAttention.oracle.test.ts checks the same against PyTorch). Here q = 256·(0.001)² =
 * 2.56e-4 before a `.netdef` layernorm whose framework's ε is 1e-3 (keras) or 1e-5 (pytorch).
 */
import { strict as assert } from 'node:assert';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { Network } from '../../server/src/core/ir';
import { simulateAnalytic } from '../../server/src/core/simulation/analytic';
import { simulateMonteCarlo } from '../../server/src/core/simulation/montecarlo';

const network = (framework: string): Network => {
  const text = `network n framework=${framework} {\n  input 256\n  dense 256 init=normal(std=0.001) use_bias=false\n  layernorm\n  dense 256 init=normal(std=0.0625) use_bias=false\n}\n`;
  const n = analyze({ text, languageId: 'netdef' }).networks[0];
  assert.ok(n, 'no network');
  return n;
};

describe('normalisation epsilon in the per-layer passes', () => {
  const q = 256 * 1e-6;
  for (const [framework, eps] of [['keras', 1e-3], ['pytorch', 1e-5]] as const) {
    it(`${framework} (ε = ${eps}): the analytic layernorm hands on q/(q + ε) and divides the gradient by q + ε`, () => {
      const s = simulateAnalytic(network(framework), NEVER_CANCELLED);
      assert.ok(s);
      // The second dense has fan_in·Var(W) = 256·0.0625² = 1: its pre-activation is the norm's output.
      assert.ok(Math.abs(s.layers[1]!.forwardVariance - q / (q + eps)) < 1e-12, `${s.layers[1]!.forwardVariance} vs ${q / (q + eps)}`);
      // Backward: the first dense's input gradient is the norm's output gradient / (q + ε) times fan_out·Var(W) = 2.56e-4.
      const ratio = s.layers[0]!.gradientVariance / s.layers[1]!.gradientVariance;
      assert.ok(Math.abs(ratio - (256 * 1e-6) / (q + eps)) < 1e-9, `${ratio} vs ${(256 * 1e-6) / (q + eps)}`);
    });
  }

  it('Monte-Carlo: the same draws under Keras\'s ε and PyTorch\'s hand on what q/(q + ε) says (their ratio within 2%)', function () {
    this.timeout(60_000);
    // One seed for both: the same weights and inputs, so the draws' own spread cancels in the ratio.
    const [keras, torch] = (['keras', 'pytorch'] as const).map((f) => simulateMonteCarlo(network(f), { seed: 7, batch: 512 }, NEVER_CANCELLED)!.layers[1]!.forwardVariance);
    const expected = (q / (q + 1e-3)) / (q / (q + 1e-5));
    assert.ok(Math.abs(keras! / torch! / expected - 1) < 0.02, `Monte-Carlo ${keras! / torch!} vs ${expected}`);
  });
});
