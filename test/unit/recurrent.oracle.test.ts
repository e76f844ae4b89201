/**
 * The recurrent simulation (simulation/recurrent.ts) against test/reference/recurrent/:
 * 1. recurrent_meanfield.json, the same mean-field equations evaluated independently (numpy,
 *    400 001-node trapezoid rule): every step's E[h_t²] and E[(dL/dx_t)²] within 1%.
 * 2. recurrent_ground_truth.json, real PyTorch 1.13 (nn.RNN/LSTM/GRU, hidden 256, 6 seeds):
 *    - vanilla RNNs (tanh and ReLU; default, orthogonal and iid recurrent kernels): every step's
 *      hidden second moment and input gradient inside PyTorch's range over its 6 seeds widened by
 *      10% (six seeds under-cover the spread), 25% for ReLU (at width 256 ReLU's mean field sits
 *      3% above PyTorch's forward pass and drifts ~0.3% per step above its gradient), over 20
 *      and 100 steps (gradients down to 1e-78);
 *    - LSTM and GRU: the hidden state within 10% at every step (worst: 8.6%, the forget-gate-1
 *      LSTM, whose cell state is the least Gaussian) and the gradient at x_T within 3%;
 *      through time, with the recurrent kernel tied across steps (recurrent.ts lstmTiedBackward,
 *      gruTiedBackward; gradient independence alone decays at 0.28 per step where PyTorch's default
 *      LSTM measures 0.35, 0.29 where its GRU measures 0.356): the per-step rate within 2% of
 *      PyTorch's (worst: LSTM 1.4%, GRU 1.1%, compounding to ×4 at step 1 of 100 where PyTorch's
 *      seeds span ×3) and every step inside PyTorch's range widened by 10% over 20 steps.
 * 3. gru_more_ground_truth.json (gru_oracle_more.py: hidden 128 and 512, T = 50, a xavier recurrent
 *    kernel, an update-gate bias of 1) and its mean field gru_more_meanfield.json: the same checks
 *    (rate within 2%; worst 1.9% at hidden 128, 0.6% at 512: the rest is finite width). One setting
 *    is pinned as a gap: a candidate-gate bias (0.5) gives the state a mean, so W_hh·h carries a
 *    per-unit offset that stays the same at every step, and the per-unit gates are no longer
 *    independent across steps as the mean field takes them: 0.9× PyTorch's rate, below it.
 * 4. gru_width_ground_truth.json (gru_oracle_width.py: default and orthogonal kernels at hidden
 *    1024 and 2048, T = 50): the rate's gap to PyTorch is finite width, it closes as the width
 *    grows (default 1.9%, 0.9%, 0.6%, 0.14%, 0.15% at hidden 128 to 2048; orthogonal 0.9%, 0.7%,
 *    0.5%, 0.3%, 0.2%). A second gap is pinned: from step ~6 on the forward E[h_t²] settles
 *    2–3.5% below PyTorch's mean at these widths (mostly under the seeds' range). Most likely
 *    (not yet checked apart) W_hh meets itself across time in the forward pass too: W_hn·h_{t−1}
 *    and W_hn·h_{t−2} share each row, so n_t and the carried state are correlated per unit,
 *    which the forward mean field does not carry; the recurrent share of the gates' input grows
 *    with the width here (the input stays 256 wide), and so does the gap.
 * Identity recurrent kernels have no mean field: the analytic pass returns undefined for them.
 */
import * as assert from 'node:assert/strict';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { simulateThroughTime, type ThroughTime } from '../../server/src/core/simulation/recurrent';
import { readReference } from '../support/reference';
import { moreGruConfigs, recurrentConfigs, recurrentLayerOf, wideGruConfigs, type RecurrentConfig } from '../support/recurrentNetworks';

interface MeanFieldEntry { id: string; hidden_m2: number[]; grad_x_m2: number[] }

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

function throughTimeAgrees(config: RecurrentConfig, result: ThroughTime | undefined): void {
  const { hidden_m2: hidden, grad_x_m2: grad } = config.results;
  assert.ok(result);
  const T = config.T;
  for (let t = 0; t < T; t++) {
    assert.ok(rel(result.hiddenSecondMoment[t]!, hidden.mean[t]!) < 0.1, `h step ${t + 1}: ${result.hiddenSecondMoment[t]} vs ${hidden.mean[t]}`);
  }
  assert.ok(rel(result.inputGradient[T - 1]!, grad.mean[T - 1]!) < 0.03, `grad x_T: ${result.inputGradient[T - 1]} vs ${grad.mean[T - 1]}`);
  const ours = rate(result.inputGradient, T);
  const torch = rate(grad.geomean, T);
  assert.ok(rel(ours, torch) < 0.02, `per-step rate ${ours} vs PyTorch ${torch}`);
  if (T <= 20) {
    for (let t = 0; t < T; t++) {
      const g = result.inputGradient[t]!;
      assert.ok(g >= grad.min[t]! / 1.1 && g <= grad.max[t]! * 1.1, `grad step ${t + 1}: ${g} outside [${grad.min[t]}, ${grad.max[t]}]`);
    }
  }
}

function rate(series: readonly number[], T: number): number {
  return Math.exp(Math.log(series[0]! / series[T - 1]!) / (T - 1));
}

function agreesWithMeanField(config: RecurrentConfig, result: ThroughTime | undefined, mf: MeanFieldEntry | undefined): void {
  assert.ok(result && mf);
  for (let t = 0; t < config.T; t++) {
    assert.ok(rel(result.hiddenSecondMoment[t]!, mf.hidden_m2[t]!) < 0.01, `h step ${t + 1}: ${result.hiddenSecondMoment[t]} vs ${mf.hidden_m2[t]}`);
    assert.ok(rel(result.inputGradient[t]!, mf.grad_x_m2[t]!) < 0.01, `grad step ${t + 1}: ${result.inputGradient[t]} vs ${mf.grad_x_m2[t]}`);
  }
}

describe('recurrent simulation vs the recurrent oracle', () => {
  const meanfield = new Map(readReference<{ configs: MeanFieldEntry[] }>('recurrent/recurrent_meanfield.json').configs.map((c) => [c.id, c]));

  for (const config of recurrentConfigs()) {
    const identity = config.inits.some((i) => i.init.name === 'eye');
    describe(config.id, () => {
      const result = simulateThroughTime(recurrentLayerOf(config), 1, NEVER_CANCELLED);

      if (identity) {
        it('is not simulated analytically (no mean field for an identity kernel)', () => {
          assert.equal(result, undefined);
        });
        return;
      }

      it('agrees with the independent mean-field reference within 1% at every step', () => {
        agreesWithMeanField(config, result, meanfield.get(config.id));
      });

      const { hidden_m2: hidden, grad_x_m2: grad } = config.results;
      if (config.cell === 'rnn') {
        it('lies inside PyTorch\'s spread at every step', () => {
          // ReLU's finite-width drift compounds: at width 256 its mean field runs ~0.3% per step
          // above PyTorch (1.11× of the seeds' maximum at step 37 of 100, orthogonal kernel).
          const WIDEN = config.nonlinearity === 'relu' ? 1.25 : 1.1;
          assert.ok(result);
          for (let t = 0; t < config.T; t++) {
            const h = result.hiddenSecondMoment[t]!;
            assert.ok(h >= hidden.min[t]! / WIDEN && h <= hidden.max[t]! * WIDEN, `h step ${t + 1}: ${h} outside [${hidden.min[t]}, ${hidden.max[t]}]`);
            const g = result.inputGradient[t]!;
            assert.ok(g >= grad.min[t]! / WIDEN && g <= grad.max[t]! * WIDEN, `grad step ${t + 1}: ${g} outside [${grad.min[t]}, ${grad.max[t]}]`);
          }
        });
      } else {
        it('matches PyTorch forward at every step, the gradient at x_T and its per-step rate through time', () => {
          throughTimeAgrees(config, result);
        });
      }
    });
  }
});

describe('GRU gradient through time vs more PyTorch settings (gru_oracle_more.py)', () => {
  const meanfield = new Map(readReference<{ configs: MeanFieldEntry[] }>('recurrent/gru_more_meanfield.json').configs.map((c) => [c.id, c]));

  for (const config of moreGruConfigs()) {
    describe(config.id, () => {
      const result = simulateThroughTime(recurrentLayerOf(config), 1, NEVER_CANCELLED);

      it('agrees with the independent mean-field reference within 1% at every step', () => {
        agreesWithMeanField(config, result, meanfield.get(config.id));
      });

      if (config.id === 'gru_orthogonal_candidate_bias_T50') {
        it('decays faster than PyTorch by less than 12% per step (the pinned gap: a state with a mean)', () => {
          assert.ok(result);
          const ours = rate(result.inputGradient, config.T);
          const torch = rate(config.results.grad_x_m2.geomean, config.T);
          assert.ok(ours < torch && ours > 0.88 * torch, `per-step rate ${ours} vs PyTorch ${torch}`);
        });
      } else {
        it('matches PyTorch forward at every step, the gradient at x_T and its per-step rate through time', () => {
          throughTimeAgrees(config, result);
        });
      }
    });
  }
});

describe('GRU gradient through time at widths 1024 and 2048 (gru_oracle_width.py): the gap is finite width', () => {
  const meanfield = new Map(readReference<{ configs: MeanFieldEntry[] }>('recurrent/gru_width_meanfield.json').configs.map((c) => [c.id, c]));
  const all = [...moreGruConfigs(), ...wideGruConfigs()];
  const gap = (id: string): number => {
    const config = all.find((c) => c.id === id);
    assert.ok(config, id);
    const result = simulateThroughTime(recurrentLayerOf(config), 1, NEVER_CANCELLED);
    assert.ok(result);
    return 1 - rate(result.inputGradient, config.T) / rate(config.results.grad_x_m2.geomean, config.T);
  };

  for (const config of wideGruConfigs()) {
    describe(config.id, () => {
      const result = simulateThroughTime(recurrentLayerOf(config), 1, NEVER_CANCELLED);

      it('agrees with the independent mean-field reference within 1% at every step', () => {
        agreesWithMeanField(config, result, meanfield.get(config.id));
      });

      it('matches PyTorch forward at every step, the gradient at x_T and its per-step rate through time', () => {
        throughTimeAgrees(config, result);
      });

      it('keeps the forward pass\'s pinned gap: from step 6 on below PyTorch\'s mean, by less than 5%', () => {
        assert.ok(result);
        const { mean, min } = config.results.hidden_m2;
        for (let t = 5; t < config.T; t++) {
          const h = result.hiddenSecondMoment[t]!;
          assert.ok(h < mean[t]! && h > 0.95 * mean[t]!, `h step ${t + 1}: ${h} vs ${mean[t]} (seeds from ${min[t]})`);
        }
      });
    });
  }

  for (const kind of ['default', 'orthogonal']) {
    it(`${kind} kernels: the rate's gap to PyTorch closes with the width (under 0.4% at 1024 and 2048)`, () => {
      const [g128, g512, g1024, g2048] = [128, 512, 1024, 2048].map((h) => gap(`gru_${kind}_h${h}_T50`)) as [number, number, number, number];
      assert.ok(g128 > g512 && g512 > Math.max(g1024, g2048), `gaps ${g128}, ${g512}, ${g1024}, ${g2048}`);
      assert.ok(Math.abs(g1024) < 0.004 && Math.abs(g2048) < 0.004, `gaps at 1024, 2048: ${g1024}, ${g2048}`);
    });
  }
});
