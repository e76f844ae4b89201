/**
 * The exact Gaussian expectations behind the gated cells' first steps and candidates, each against
 * a direct quadrature written here (nothing shared with the code under test but tanh and σ):
 * - cellProduct.ts: tanh(c_1)'s moments for the LSTM's c_1 = σ(a_i)·tanh(a_g), against a 1,201² trapezoid rule;
 * - candidateMixture.ts: the GRU candidate a^n = u + r·v as a scale mixture: its one-step moments
 *   against a 1,201² trapezoid rule over (a^r, a^n given r), and the two-step moment E[n_t·n_s]
 *   (the series of Mehler's expansions) against a four-dimensional Gauss–Hermite rule (40 nodes a
 *   dimension) over both reset gates and both candidates, at settings from the default GRU's to
 *   the gain-3 kernel of test/reference/recurrent/gru_oracle_strong.py.
 */
import * as assert from 'node:assert/strict';
import { productCellMoments } from '../../server/src/core/simulation/cellProduct';
import { candidateMixture, candidatePair, type TanhMoment } from '../../server/src/core/simulation/candidateMixture';
import { gaussHermite } from '../../server/src/core/simulation/dualKernel';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Standard-normal trapezoid nodes on [−10, 10] and weights summing to 1. */
function trapezoid(n: number): { z: number[]; w: number[] } {
  const z: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = -10 + (20 * i) / (n - 1);
    z.push(x);
    w.push(Math.exp(-x * x / 2) * (i === 0 || i === n - 1 ? 0.5 : 1));
  }
  const total = w.reduce((a, b) => a + b, 0);
  return { z, w: w.map((x) => x / total) };
}

const GRID = trapezoid(1201);

/** tanh's moments at (mean, variance) by the trapezoid rule, as candidateMixture reads them from the caller. */
const tanhMoment: TanhMoment = (which, mean, variance) => {
  const s = Math.sqrt(Math.max(variance, 0));
  let total = 0;
  for (let i = 0; i < GRID.z.length; i++) {
    const z = GRID.z[i]!;
    const t = Math.tanh(mean + s * z);
    const d = 1 - t * t;
    const value = which === 'phi' ? t : which === 'phi2' ? t * t : which === 'dphi' ? d : which === 'dphi2' ? d * d : z * z * d * d;
    total += GRID.w[i]! * value;
  }
  return total;
};

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

describe('the LSTM\'s first cell state c_1 = σ(a_i)·tanh(a_g) (cellProduct.ts)', () => {
  // PyTorch's default LSTM at step 1 (q = 1/3 + 1/384), a Keras-like one (xavier: q = 1/2), a strong input.
  for (const [iMean, iVar, gMean, gVar] of [[0, 1 / 3 + 1 / 384, 0, 1 / 3 + 1 / 384], [0, 0.5, 0, 0.5], [1, 4, 0.3, 6], [0, 40, 0, 40]] as const) {
    it(`a_i ~ N(${iMean}, ${iVar.toPrecision(3)}), a_g ~ N(${gMean}, ${gVar.toPrecision(3)}): E[tanh(c)²], E[tanh(c)], E[tanh′], E[tanh′²] to 1e-8`, () => {
      const ours = productCellMoments(iMean, iVar, gMean, gVar);
      const sums = [0, 0, 0, 0];
      for (let i = 0; i < GRID.z.length; i++) {
        const s = sigmoid(iMean + Math.sqrt(iVar) * GRID.z[i]!);
        for (let j = 0; j < GRID.z.length; j++) {
          const t = Math.tanh(s * Math.tanh(gMean + Math.sqrt(gVar) * GRID.z[j]!));
          const w = GRID.w[i]! * GRID.w[j]!;
          const d = 1 - t * t;
          sums[0]! += w * t * t;
          sums[1]! += w * t;
          sums[2]! += w * d;
          sums[3]! += w * d * d;
        }
      }
      const values = [ours.phi2, ours.phi, ours.dphi, ours.dphi2];
      values.forEach((v, k) => assert.ok(Math.abs(v - sums[k]!) < 1e-8, `moment ${k}: ${v} vs ${sums[k]}`));
    });
  }
});

describe('the GRU candidate as a scale mixture (candidateMixture.ts)', () => {
  // (reset mean, reset variance, candidate mean, q_u, q_v): PyTorch's default GRU at its fixed
  // point, an orthogonal kernel (σ_hh² = 1, xavier input), the gain-3 kernel (σ_hh² = 9, with
  // bias means) and σ_hh² = 4 with a weak input (s_ih = 0.05), each near its state at step 30.
  // (recurrent_meanfield.py's self_check also takes q_r = 4.5, q_u = 0.05, q_v = 4.)
  const settings = [[0, 0.36, 0, 0.34, 0.03], [0, 1.2, 0, 1, 0.2], [0.3, 2.2, 0.2, 0.34, 1.9], [0, 0.25, 0, 0.05, 0.2]] as const;

  for (const [rMean, rVar, nMean, qu, qv] of settings) {
    const mixture = candidateMixture({ resetMean: rMean, resetVariance: rVar, candidateMean: nMean, inputVariance: qu, recurrentVariance: qv }, tanhMoment);

    it(`q_r ${rVar}, q_u ${qu}, q_v ${qv}: one-step moments and the backward factors within 1e-7 of a 2-D trapezoid rule`, () => {
      const sums = new Array<number>(7).fill(0);
      for (let i = 0; i < GRID.z.length; i++) {
        const r = sigmoid(rMean + Math.sqrt(rVar) * GRID.z[i]!);
        const slope = r * (1 - r);
        // Given r, a^n = μ + √(q_u + r²q_v)·Z, and v's regression on a^n for E[v²·…].
        const V = qu + r * r * qv;
        for (let j = 0; j < GRID.z.length; j++) {
          const z = GRID.z[j]!;
          const t = Math.tanh(nMean + Math.sqrt(V) * z);
          const d = 1 - t * t;
          const w = GRID.w[i]! * GRID.w[j]!;
          const v2 = qv - (r * r * qv * qv) / V + ((r * r * qv * qv) / V) * z * z;
          sums[0]! += w * t;
          sums[1]! += w * t * t;
          sums[2]! += w * d;
          sums[3]! += w * d * d;
          sums[4]! += w * r * d;
          sums[5]! += w * r * r * d * d;
          sums[6]! += w * slope * slope * v2 * d * d;
        }
      }
      const ours = [mixture.n1, mixture.n2, mixture.slope1, mixture.slope2, mixture.resetSlope1, mixture.resetSlope2, mixture.resetBlock];
      ours.forEach((v, k) => assert.ok(Math.abs(v - sums[k]!) < 1e-7, `moment ${k}: ${v} vs ${sums[k]}`));
    });

    it(`q_r ${rVar}, q_u ${qu}, q_v ${qv}: E[n_t·n_s] within 1e-6 of a 4-D Gauss–Hermite rule at weak and strong correlation`, () => {
      for (const [cv, cr] of [[0.2 * qv, 0.2 * rVar], [0.75 * qv, 0.7 * rVar]] as const) {
        const ours = candidatePair(mixture, mixture, cv, cr, 0);
        const direct = directPair(rMean, rVar, nMean, qu, qv, cv, cr);
        assert.ok(Math.abs(ours - direct) < 1e-6, `c_v ${cv}, c_r ${cr}: ${ours} vs ${direct}`);
      }
    });
  }

  it('the mixture differs from the Gaussian of the same variance where the recurrent part dominates (gain 3), and not at the default', () => {
    const gaussian = (rMean: number, rVar: number, qu: number, qv: number) => {
      let r2 = 0;
      for (let i = 0; i < GRID.z.length; i++) r2 += GRID.w[i]! * sigmoid(rMean + Math.sqrt(rVar) * GRID.z[i]!) ** 2;
      return tanhMoment('phi2', 0, qu + r2 * qv);
    };
    const strong = candidateMixture({ resetMean: 0, resetVariance: 2.2, candidateMean: 0, inputVariance: 0.34, recurrentVariance: 1.9 }, tanhMoment);
    const weak = candidateMixture({ resetMean: 0, resetVariance: 0.36, candidateMean: 0, inputVariance: 0.34, recurrentVariance: 0.03 }, tanhMoment);
    assert.ok(rel(strong.n2, gaussian(0, 2.2, 0.34, 1.9)) > 0.01, `${strong.n2} vs ${gaussian(0, 2.2, 0.34, 1.9)}`);
    assert.ok(rel(weak.n2, gaussian(0, 0.36, 0.34, 0.03)) < 1e-4);
  });
});

/** E[tanh(a_t)·tanh(a_s)] with a = u + σ(a^r)·v, (a^r_t, a^r_s) and (v_t, v_s) correlated, u independent: 40⁴ Gauss–Hermite nodes. */
function directPair(rMean: number, rVar: number, nMean: number, qu: number, qv: number, cv: number, cr: number): number {
  const { z, w } = gaussHermite(40);
  const n = z.length;
  const rho = cr / rVar;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const rt = sigmoid(rMean + Math.sqrt(rVar) * z[i]!);
    const Vt = qu + rt * rt * qv;
    for (let j = 0; j < n; j++) {
      const rs = sigmoid(rMean + Math.sqrt(rVar) * (rho * z[i]! + Math.sqrt(1 - rho * rho) * z[j]!));
      const Vs = qu + rs * rs * qv;
      const beta = (rt * rs * cv) / Math.sqrt(Vt);
      const rest = Math.sqrt(Math.max(Vs - beta * beta, 0));
      let inner = 0;
      for (let k = 0; k < n; k++) {
        const x = Math.tanh(nMean + Math.sqrt(Vt) * z[k]!);
        let y = 0;
        for (let l = 0; l < n; l++) y += w[l]! * Math.tanh(nMean + beta * z[k]! + rest * z[l]!);
        inner += w[k]! * x * y;
      }
      total += w[i]! * w[j]! * inner;
    }
  }
  return total;
}
