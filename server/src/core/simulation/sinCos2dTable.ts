/**
 * The fixed 2-D sin-cos position table of a grid of patches (vit-pytorch's `posemb_sincos_2d`,
 * ir.ts SinCos2dTable): row p = r·W + c (r < H, c < W) is
 *   [sin(c·ω_i)]_i, [cos(c·ω_i)]_i, [sin(r·ω_i)]_i, [cos(r·ω_i)]_i,   ω_i = base^(−i/(D−1)), i < D = width/4.
 * Its statistics over its rows (all of them: the table is added whole) are sums over the rows
 * computed from the definition in float64: Σ_{p≠q}⟨pe_p, pe_q⟩ = |Σ_p pe_p|² − Σ_p |pe_p|², and the
 * same for the rows' own means; the rows themselves as PyTorch builds them in float32 for the
 * Monte-Carlo pass (test/reference/transformer/sincos2d_position.py).
 */
import type { SinCos2dTable } from '../ir';
import type { SinusoidalStatistics } from './sinusoidalTable';

function rowsOf(table: SinCos2dTable, round: (v: number) => number): Float64Array {
  const quarter = table.width / 4;
  const f = round;
  // omega = torch.arange(D) / (D − 1); omega = 1 / (base ** omega): each step rounded as PyTorch stores it.
  const omega = Array.from({ length: quarter }, (_, i) => f(1 / f(table.base ** f(i / (quarter - 1)))));
  const out = new Float64Array(table.rows * table.width);
  for (let r = 0; r < table.gridHeight; r++) {
    for (let c = 0; c < table.gridWidth; c++) {
      const at = (r * table.gridWidth + c) * table.width;
      for (let i = 0; i < quarter; i++) {
        const x = f(c * omega[i]!);
        const y = f(r * omega[i]!);
        out[at + i] = f(Math.sin(x));
        out[at + quarter + i] = f(Math.cos(x));
        out[at + 2 * quarter + i] = f(Math.sin(y));
        out[at + 3 * quarter + i] = f(Math.cos(y));
      }
    }
  }
  return out;
}

/** The table's statistics over its rows (tokenStream.ts; the same quantities as the 1-D table's). */
export function sinCos2dStatistics(table: SinCos2dTable): SinusoidalStatistics {
  const d = table.width;
  const tokens = table.rows;
  const rows = rowsOf(table, (v) => v);
  const sum = new Float64Array(d);
  let squares = 0;
  let meanSum = 0;
  let meanSquares = 0;
  for (let p = 0; p < tokens; p++) {
    let row = 0;
    for (let j = 0; j < d; j++) {
      const v = rows[p * d + j]!;
      sum[j] = sum[j]! + v;
      squares += v * v;
      row += v;
    }
    const mu = row / d;
    meanSum += mu;
    meanSquares += mu * mu;
  }
  let total = 0;
  for (let j = 0; j < d; j++) total += sum[j]! * sum[j]!;
  const orderedPairs = tokens * (tokens - 1);
  return {
    secondMoment: squares / (tokens * d),
    cross: (total - squares) / d / orderedPairs,
    meanSquare: meanSquares / tokens,
    meanCross: (meanSum * meanSum - meanSquares) / orderedPairs,
  };
}

/** Every row of the table, row-major, as PyTorch computes it in float32. */
export function sinCos2dRows(table: SinCos2dTable): Float32Array {
  return Float32Array.from(rowsOf(table, Math.fround));
}
