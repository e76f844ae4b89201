/**
 * Var(W) of every initializer from its real semantics (shared/reference/init-math.md §a):
 * truncation, gains, fan modes. Fans are the ones the framework's init code computes
 * (WeightLayer.frameworkFans), because that is what sets the weights.
 */
import type { FanMode, Fans, InitSemantics, WeightLayer } from '../ir';
import { normalCdf, normalPdf } from '../math/special';

/**
 * Standard deviation of N(0,1) truncated to [−2, 2]: √(1 − 4·pdf(2)/(2·cdf(2)−1)).
 * Keras VarianceScaling and JAX variance_scaling divide by it so truncated draws keep
 * Var = scale/n; Keras TruncatedNormal and JAX truncated_normal do not.
 */
export const TRUNCNORM_STD = 0.87962566103423978;

/** Nonlinearity names torch.nn.init.calculate_gain accepts. */
export const KAIMING_NONLINEARITIES: readonly string[] = [
  'linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d',
  'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu',
];

/**
 * torch.nn.init.calculate_gain. Undefined for names PyTorch rejects with ValueError
 * (gelu, silu, elu, softplus, …): no framework defines a gain for them.
 */
export function calculateGain(nonlinearity: string, param?: number): number | undefined {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d':
    case 'sigmoid': // 1, although sigmoid′(0) = 1/4 (pytorch#24991)
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      // A missing slope means 0.01; kaiming_* always passes its `a` (default 0).
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4; // "found empirically", pytorch#50664; breaks self-normalisation
    default:
      return undefined;
  }
}

export function fanFor(mode: FanMode, fans: Fans): number {
  switch (mode) {
    case 'fan_in':
      return fans.fanIn;
    case 'fan_out':
      return fans.fanOut;
    case 'fan_avg':
      return (fans.fanIn + fans.fanOut) / 2;
  }
}

/**
 * Variance of N(mean, std²) restricted to [low, high] (absolute bounds, no correction):
 * std²·(1 − (β·pdf(β) − α·pdf(α))/Z − ((pdf(α) − pdf(β))/Z)²).
 */
export function truncatedNormalVariance(mean: number, std: number, low: number, high: number): number {
  if (std <= 0) return 0;
  const alpha = (low - mean) / std;
  const beta = (high - mean) / std;
  const z = normalCdf(beta) - normalCdf(alpha);
  if (!(z > 0)) return 0;
  const pa = normalPdf(alpha);
  const pb = normalPdf(beta);
  // pdf·x → 0 as x → ±∞; guard the 0·∞ products.
  const betaTerm = Number.isFinite(beta) ? beta * pb : 0;
  const alphaTerm = Number.isFinite(alpha) ? alpha * pa : 0;
  return std * std * (1 - (betaTerm - alphaTerm) / z - ((pa - pb) / z) ** 2);
}

/**
 * Var(W) of one weight entry. `fans` are the framework's fans; `receptiveField` (∏ kernel)
 * recovers the matrix shape orthogonal init factorises. NaN when the semantics cannot be
 * evaluated (a kaiming nonlinearity PyTorch rejects).
 */
export function weightVariance(semantics: InitSemantics, fans: Fans, receptiveField = 1): number {
  switch (semantics.kind) {
    case 'variance_scaling':
      // Keras and JAX clamp the fan at 1.
      return semantics.scale / Math.max(1, fanFor(semantics.mode, fans));
    case 'kaiming': {
      const gain = calculateGain(semantics.nonlinearity, semantics.a);
      if (gain === undefined) return NaN;
      return (gain * gain) / fanFor(semantics.mode, fans);
    }
    case 'xavier':
      return (semantics.gain * semantics.gain * 2) / (fans.fanIn + fans.fanOut);
    case 'orthogonal': {
      // The kernel is factorised as a (fan_out/∏k) × fan_in matrix (PyTorch) or its
      // transpose (Keras, JAX): rows or columns are orthonormal, so the mean square entry
      // is gain²/max(rows, cols).
      const rows = fans.fanOut / receptiveField;
      return (semantics.gain * semantics.gain) / Math.max(rows, fans.fanIn);
    }
    case 'normal':
      return semantics.std * semantics.std;
    case 'truncated_normal':
      return truncatedNormalVariance(semantics.mean, semantics.std, semantics.low, semantics.high);
    case 'uniform':
      return (semantics.high - semantics.low) ** 2 / 12;
    case 'constant':
      return 0;
  }
}

/** Mean of one weight entry (non-zero for uniform(0, s), constants, shifted normals). */
export function weightMean(semantics: InitSemantics): number {
  switch (semantics.kind) {
    case 'normal':
      return semantics.mean;
    case 'truncated_normal': {
      const alpha = (semantics.low - semantics.mean) / semantics.std;
      const beta = (semantics.high - semantics.mean) / semantics.std;
      const z = normalCdf(beta) - normalCdf(alpha);
      return z > 0 ? semantics.mean + (semantics.std * (normalPdf(alpha) - normalPdf(beta))) / z : semantics.mean;
    }
    case 'uniform':
      return (semantics.low + semantics.high) / 2;
    case 'constant':
      return semantics.value;
    default:
      return 0;
  }
}

/** The fan mode an initializer normalises by; fixed-scale initializers are judged on fan_in. */
export function ownFanMode(semantics: InitSemantics): FanMode {
  switch (semantics.kind) {
    case 'variance_scaling':
    case 'kaiming':
      return semantics.mode;
    case 'xavier':
      return 'fan_avg';
    default:
      return 'fan_in';
  }
}

/** True for initializers whose scale follows the layer's width (He, Glorot, LeCun, orthogonal, …). */
export function isFanScaled(semantics: InitSemantics): boolean {
  return semantics.kind === 'variance_scaling' || semantics.kind === 'kaiming' ||
    semantics.kind === 'xavier' || semantics.kind === 'orthogonal';
}

/**
 * The fans an initializer's fan modes refer to, in the layer's own terms: its true fans,
 * except for a fan-scaled initializer on a transposed convolution whose framework layout
 * swaps them (ir.ts TransposedConv): there `fan_in` normalises by the true fan_out
 * (init-math.md §c). A fixed scale involves no framework fan and is judged on the forward one.
 */
export function judgingFans(layer: Pick<WeightLayer, 'fans' | 'transposed'>, semantics: InitSemantics): Fans | undefined {
  const fans = layer.fans;
  if (!fans || !layer.transposed?.layoutSwapped || !isFanScaled(semantics)) return fans;
  return { fanIn: fans.fanOut, fanOut: fans.fanIn };
}

/**
 * σ² in the initializer's own fan mode, n_mode·Var(W), measured with the layer's true fans
 * (so PyTorch's groups-times-too-large depthwise fan_out shows up as a too-small scale,
 * pytorch#23854). Orthogonal init normalises along the longer side of its matrix.
 */
export function ownModeScale(semantics: InitSemantics, variance: number, trueFans: Fans, receptiveField: number): number {
  if (semantics.kind === 'orthogonal') return variance * Math.max(trueFans.fanOut / receptiveField, trueFans.fanIn);
  return variance * fanFor(ownFanMode(semantics), trueFans);
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : Number(x.toPrecision(4)).toString();
}

/** The formula behind Var(W), with this layer's numbers: `2/fan_in = 2/512`. */
export function weightVarianceFormula(semantics: InitSemantics, fans: Fans, receptiveField = 1): string {
  const modeName = (mode: FanMode) => (mode === 'fan_avg' ? '((fan_in+fan_out)/2)' : mode);
  switch (semantics.kind) {
    case 'variance_scaling':
      return `${fmt(semantics.scale)}/${modeName(semantics.mode)} = ${fmt(semantics.scale)}/${fmt(fanFor(semantics.mode, fans))}`;
    case 'kaiming': {
      const gain = calculateGain(semantics.nonlinearity, semantics.a);
      const gainText = gain === undefined ? 'undefined' : fmt(gain);
      const args = semantics.nonlinearity === 'leaky_relu' ? `'leaky_relu', ${fmt(semantics.a)}` : `'${semantics.nonlinearity}'`;
      return `gain²/${semantics.mode}, gain = calculate_gain(${args}) = ${gainText} → ${gain === undefined ? '?' : fmt(gain * gain)}/${fmt(fanFor(semantics.mode, fans))}`;
    }
    case 'xavier':
      return `gain²·2/(fan_in+fan_out) = ${fmt(semantics.gain * semantics.gain * 2)}/(${fmt(fans.fanIn)}+${fmt(fans.fanOut)})`;
    case 'orthogonal':
      return `gain²/max(rows, cols) = ${fmt(semantics.gain * semantics.gain)}/${fmt(Math.max(fans.fanOut / receptiveField, fans.fanIn))}`;
    case 'normal':
      return `std² = ${fmt(semantics.std)}²`;
    case 'truncated_normal':
      return `std² of N(${fmt(semantics.mean)}, ${fmt(semantics.std)}²) cut to [${fmt(semantics.low)}, ${fmt(semantics.high)}]`;
    case 'uniform':
      return `(high−low)²/12 = (${fmt(semantics.high)}−${fmt(semantics.low)})²/12`;
    case 'constant':
      return `0 (every weight = ${fmt(semantics.value)})`;
  }
}
