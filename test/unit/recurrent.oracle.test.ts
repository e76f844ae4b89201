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
 *    - LSTM and GRU: the hidden state within 3% of PyTorch's mean and inside its six seeds' range
 *      widened by 2% at every step (furthest: 1.2% below, LSTM, step 14; 1.3% above, GRU with an
 *      update-gate bias, step 37). Their forward passes carry the two-time kernels of the tied
 *      W_hh (gruTwoTime.ts, lstmTwoTime.ts); with the steps taken independent the LSTM sat 3%
 *      (default), 4.4% (Keras-like) and 7–9% (forget-gate bias 1) below PyTorch from step ~6 on;
 *      and the gradient at x_T within 3%;
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
 *    0.5%, 0.3%, 0.2%). The forward E[h_t²] is inside PyTorch's range over its six seeds at every
 *    step, widened by 1% (six seeds under-cover it; the furthest step is 0.64% outside), and its
 *    mean relative difference over steps 6–50 within ±0.5% (0.32%, 0.13%, −0.06%, 0.12%). It was
 *    2.2–3.7% below from step ~6 on while the forward mean field took the steps independent: W_hh
 *    is the same at every step, so the candidate n_t and the state h_{t−1} it is mixed with are
 *    correlated (simulation/gruTwoTime.ts carries the two-time kernel E[h_t·h_s]).
 * 5. tied_limit.json (tied_limit.py: the infinite-width layer's per-unit Gaussian process sampled
 *    step by step, 2 × 200,000 paths; every GRU setting up to 50 steps, the 20-step LSTMs and
 *    RNNs): the GRUs', RNNs' and LSTMs' E[h_t²] within 1% of it at every step (0.5% for the LSTMs
 *    at step 1, where c_1 = σ(a_i)·tanh(a_g) is exact: cellProduct.ts; from step 2 the cell state
 *    enters tanh by its mean, variance and excess kurtosis: cellKurtosis.ts, checked within 0.4% of
 *    lstm_kurtosis.json, the same process for the LSTMs with 2.4 million paths); the same process with a fresh W_hh per
 *    step (what a forward mean field without the two-time kernel computes) is 0.6–3.6% lower for
 *    the GRUs and 2–7% for the LSTMs at the last step, and the gated cells' forward passes are
 *    checked to sit nearer to the tied process than to the untied one.
 * 6. gru_strong_ground_truth.json, tied_limit_strong.json (gru_oracle_strong.py: per-gate orthogonal
 *    kernels of gain 1.5–3, T = 30): the candidate taken as the scale mixture it is
 *    (candidateMixture.ts); the update gates' first-order correlation term is what is left, and the
 *    pass flags those settings approximate (and no other setting of these files).
 * Identity recurrent kernels have no mean field: the analytic pass returns undefined for them.
 */
import * as assert from 'node:assert/strict';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { simulateThroughTime, type ThroughTime } from '../../server/src/core/simulation/recurrent';
import { readReference } from '../support/reference';
import { moreGruConfigs, recurrentConfigs, recurrentLayerOf, strongGruConfigs, wideGruConfigs, type RecurrentConfig } from '../support/recurrentNetworks';

interface MeanFieldEntry { id: string; hidden_m2: number[]; grad_x_m2: number[] }

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

function throughTimeAgrees(config: RecurrentConfig, result: ThroughTime | undefined): void {
  const { hidden_m2: hidden, grad_x_m2: grad } = config.results;
  assert.ok(result);
  const T = config.T;
  for (let t = 0; t < T; t++) {
    const h = result.hiddenSecondMoment[t]!;
    assert.ok(rel(h, hidden.mean[t]!) < 0.03, `h step ${t + 1}: ${h} vs ${hidden.mean[t]}`);
    assert.ok(h >= hidden.min[t]! / 1.02 && h <= hidden.max[t]! * 1.02, `h step ${t + 1}: ${h} outside [${hidden.min[t]}, ${hidden.max[t]}] widened by 2%`);
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

      it('lies inside PyTorch\'s seed range at every step (widened by 1%), and on average over steps 6–50 within 0.5% of its mean', () => {
        assert.ok(result);
        const { mean, min, max } = config.results.hidden_m2;
        let drift = 0;
        for (let t = 0; t < config.T; t++) {
          const h = result.hiddenSecondMoment[t]!;
          assert.ok(h >= min[t]! / 1.01 && h <= max[t]! * 1.01, `h step ${t + 1}: ${h} outside [${min[t]}, ${max[t]}]`);
          if (t >= 5) drift += (h / mean[t]! - 1) / (config.T - 5);
        }
        assert.ok(Math.abs(drift) < 0.005, `mean relative difference over steps 6–${config.T}: ${drift}`);
      });
    });
  }

  // With the candidate's exact one-step moments (candidateMixture.ts: E[r·tanh′(a^n)] where the
  // Gaussian candidate had E[r]·E[tanh′]) the orthogonal kernels' gaps are 1.18%, 0.73%, 0.48%,
  // 0.31% at hidden 128–2048 (0.98%, 0.55%, 0.35%, 0.24% before; both fall like 1/√hidden), the
  // default's 1.95%, 0.60%, 0.15%, 0.15% (1.92%, 0.59%, 0.14%, 0.15%): under 0.5% at 1024 and 2048
  // (0.4% before), and falling with the width, 2048 below 1024.
  for (const kind of ['default', 'orthogonal']) {
    it(`${kind} kernels: the rate's gap to PyTorch closes with the width (under 0.5% at 1024 and 2048)`, () => {
      const [g128, g512, g1024, g2048] = [128, 512, 1024, 2048].map((h) => gap(`gru_${kind}_h${h}_T50`)) as [number, number, number, number];
      assert.ok(g128 > g512 && g512 > Math.max(g1024, g2048), `gaps ${g128}, ${g512}, ${g1024}, ${g2048}`);
      assert.ok(g2048 <= g1024 + 0.0001, `gaps at 1024, 2048: ${g1024}, ${g2048}`);
      assert.ok(Math.abs(g1024) < 0.005 && Math.abs(g2048) < 0.005, `gaps at 1024, 2048: ${g1024}, ${g2048}`);
    });
  }
});

describe('forward passes vs the exact tied infinite-width limit (tied_limit.py)', () => {
  interface LimitEntry { id: string; tied: { hidden_m2: number[]; stderr: number[] }; untied: { hidden_m2: number[] } }
  const limit = new Map(readReference<{ configs: LimitEntry[] }>('recurrent/tied_limit.json').configs.map((c) => [c.id, c]));
  // Sampled: every GRU setting up to 50 steps, the LSTMs and vanilla RNNs over 20 (the sampling costs T²).
  const all = [...recurrentConfigs(), ...moreGruConfigs(), ...wideGruConfigs()];
  const sampled = all.filter((c) => c.T <= 50 && (c.cell === 'gru' || c.T === 20) && !c.inits.some((i) => i.init.name === 'eye'));

  it('covers those settings', () => {
    assert.deepEqual(sampled.filter((c) => !limit.has(c.id)).map((c) => c.id), []);
    assert.equal(sampled.filter((c) => c.cell === 'gru').length, 14);
  });

  // The LSTM's cell state from step 2 on by its mean, variance and excess kurtosis (cellKurtosis.ts;
  // taken Gaussian it was up to 1.3% low); at step 1, c_1 = i·g exactly (cellProduct.ts: within
  // 0.2%; 1.5–2.6% low while c_1 too was taken Gaussian).
  const tolerance = (config: RecurrentConfig, t: number) => (config.cell !== 'lstm' ? 0.01 : t === 0 ? 0.005 : 0.01);

  for (const config of sampled) {
    const gated = config.cell !== 'rnn';
    const what = config.cell === 'lstm' ? 'within 1% (0.5% at step 1)' : 'within 1%';
    it(`${config.id}: E[h_t²] ${what} of the sampled tied process at every step${gated ? ', nearer to it than to the untied one' : ''}`, () => {
      const result = simulateThroughTime(recurrentLayerOf(config), 1, NEVER_CANCELLED);
      const entry = limit.get(config.id);
      assert.ok(result && entry);
      let nearer = 0;
      let further = 0;
      for (let t = 0; t < config.T; t++) {
        const h = result.hiddenSecondMoment[t]!;
        const tied = entry.tied.hidden_m2[t]!;
        assert.ok(rel(h, tied) < tolerance(config, t), `h step ${t + 1}: ${h} vs ${tied} (± ${entry.tied.stderr[t]})`);
        nearer += Math.abs(Math.log(h / tied));
        further += Math.abs(Math.log(h / entry.untied.hidden_m2[t]!));
      }
      if (gated) assert.ok(nearer < further, `summed log distance to the tied process ${nearer}, to the untied one ${further}`);
    });
  }
});

describe('LSTM cell state beyond step 1 vs the tied process sampled with 2.4 million paths (lstm_kurtosis.py)', () => {
  // c_t is lighter-tailed than a Gaussian (kurtosis 2.5–3.1, lstm_kurtosis.json's cell_kurtosis):
  // taken Gaussian inside tanh, E[h_t²] sat 0.6–1.0% low at every step of PyTorch's default LSTM
  // and 1.3% low at step 2 of the Keras-like one, 0.5–0.7% high from step 6 on; with the fourth
  // cumulant carried (cellKurtosis.ts) every step is within 0.3% (the reference's standard error
  // is 0.02–0.16%).
  interface KurtosisEntry { id: string; hidden_m2: number[]; hidden_m2_stderr: number[] }
  const reference = new Map(readReference<{ configs: KurtosisEntry[] }>('recurrent/lstm_kurtosis.json').configs.map((c) => [c.id, c]));
  const lstms = recurrentConfigs().filter((c) => c.cell === 'lstm' && c.T === 20);

  it('covers the three LSTM settings', () => {
    assert.deepEqual(lstms.map((c) => c.id).sort(), [...reference.keys()].sort());
  });

  for (const config of lstms) {
    it(`${config.id}: E[h_t²] within 0.4% of it at every step`, () => {
      const result = simulateThroughTime(recurrentLayerOf(config), 1, NEVER_CANCELLED);
      const entry = reference.get(config.id);
      assert.ok(result && entry);
      const misses: string[] = [];
      for (let t = 0; t < config.T; t++) {
        const h = result.hiddenSecondMoment[t]!;
        const exact = entry.hidden_m2[t]!;
        if (!(rel(h, exact) < 0.004)) misses.push(`step ${t + 1}: ${h.toPrecision(5)} vs ${exact.toPrecision(5)} (${(100 * (h / exact - 1)).toFixed(2)}%)`);
      }
      assert.deepEqual(misses, []);
    });
  }
});

describe('GRUs with strong recurrent kernels (gru_oracle_strong.py, tied_limit_strong.json)', () => {
  // Per-gate orthogonal W_hh of gain 1.5, 3 (hidden 256 and 1024) and 2 with a weak input, T = 30.
  // The candidate a^n = u + r·(W_hn·h) is a scale mixture of Gaussians (candidateMixture.ts); taken
  // Gaussian, E[h_30²] was 27% above the sampled tied process at gain 3 and the per-step gradient
  // rate 5.4% below PyTorch's. What is left is the update gates' correlation across steps, taken to
  // first order: their consecutive pre-activations correlate 0.65 at gain 3 and 0.63 at gain 2 with
  // the weak input, and there E[h_t²] sits up to 2.8% / 2.4% above the tied process (the first-order
  // term is −9% of E[h_30²] at gain 3, the process's −11%); the pass says so (ThroughTime.approximate).
  const meanfield = new Map(readReference<{ configs: MeanFieldEntry[] }>('recurrent/gru_strong_meanfield.json').configs.map((c) => [c.id, c]));
  interface LimitEntry { id: string; tied: { hidden_m2: number[] } }
  const limit = new Map(readReference<{ configs: LimitEntry[] }>('recurrent/tied_limit_strong.json').configs.map((c) => [c.id, c]));
  const approximate = new Set(['gru_orthogonal_gain3_T30', 'gru_orthogonal_gain3_h1024_T30', 'gru_orthogonal_gain2_weak_input_T30']);

  for (const config of strongGruConfigs()) {
    describe(config.id, () => {
      const result = simulateThroughTime(recurrentLayerOf(config), 1, NEVER_CANCELLED);

      it('agrees with the independent mean-field reference within 1% at every step', () => {
        agreesWithMeanField(config, result, meanfield.get(config.id));
      });

      const bound = approximate.has(config.id) ? 0.03 : 0.01;
      it(`E[h_t²] within ${bound * 100}% of the sampled tied process at every step, and flagged approximate ${approximate.has(config.id) ? 'here' : 'nowhere'}`, () => {
        const entry = limit.get(config.id);
        assert.ok(result && entry);
        for (let t = 0; t < config.T; t++) {
          const h = result.hiddenSecondMoment[t]!;
          assert.ok(rel(h, entry.tied.hidden_m2[t]!) < bound, `h step ${t + 1}: ${h} vs ${entry.tied.hidden_m2[t]}`);
        }
        assert.equal(result.approximate !== undefined, approximate.has(config.id), JSON.stringify(result.carryCorrelation));
      });

      it('the gradient at x_T within 1% of PyTorch and the per-step rate through time within 2%', () => {
        assert.ok(result);
        const T = config.T;
        assert.ok(rel(result.inputGradient[T - 1]!, config.results.grad_x_m2.mean[T - 1]!) < 0.01, `grad x_T: ${result.inputGradient[T - 1]} vs ${config.results.grad_x_m2.mean[T - 1]}`);
        const ours = rate(result.inputGradient, T);
        const torch = rate(config.results.grad_x_m2.geomean, T);
        assert.ok(rel(ours, torch) < 0.02, `per-step rate ${ours} vs PyTorch ${torch}`);
      });
    });
  }
});

describe('no setting of the PyTorch oracles but the strong kernels is flagged approximate', () => {
  for (const config of [...recurrentConfigs(), ...moreGruConfigs(), ...wideGruConfigs()]) {
    if (config.cell === 'rnn') continue;
    it(config.id, () => {
      const result = simulateThroughTime(recurrentLayerOf(config), 1, NEVER_CANCELLED);
      assert.ok(result && result.carryCorrelation !== undefined && result.carryCorrelation < 0.15 && result.approximate === undefined, JSON.stringify(result?.carryCorrelation));
    });
  }
});
