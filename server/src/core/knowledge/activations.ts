/**
 * Activation functions: canonical names, aliases across frameworks, the functions
 * themselves (for the simulation's quadrature) and their structure (kinks, positive
 * homogeneity). Moments at unit scale are computed, not tabled, and tested against
 * shared/reference/activations.json. Aliases: shared/reference/init-math.md §d.
 */
import type { Activation, ActivationName } from '../ir';
import { erf, normalPdf } from '../math/special';

/** SELU constants from Klambauer et al. 2017 (https://arxiv.org/abs/1706.02515). */
export const SELU_LAMBDA = 1.0507009873554805;
export const SELU_ALPHA = 1.6732632423543772;

export interface ActivationFunctions {
  phi(x: number): number;
  dphi(x: number): number;
  /** Points where φ or φ′ is not smooth; quadrature splits there. */
  readonly kinks: readonly number[];
  /**
   * φ(cx) = c·φ(x) for c > 0 (linear, ReLU, leaky, PReLU): then E[φ(√q z)²] = q·E[φ(z)²]
   * and E[φ′(√q z)²] does not depend on q, so the simulation uses closed forms.
   */
  readonly homogeneous: boolean;
}

interface ActivationEntry {
  readonly name: ActivationName;
  readonly aliases: readonly string[];
  /** Default parameter when the activation takes one (slope, alpha). */
  readonly defaultParam?: number;
  readonly make: (param: number | undefined) => ActivationFunctions;
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function piecewiseLinear(negativeSlope: number): ActivationFunctions {
  return {
    phi: (x) => (x > 0 ? x : negativeSlope * x),
    dphi: (x) => (x > 0 ? 1 : negativeSlope),
    kinks: [0],
    homogeneous: true,
  };
}

function eluWith(alpha: number, scale: number): ActivationFunctions {
  return {
    phi: (x) => scale * (x > 0 ? x : alpha * Math.expm1(x)),
    dphi: (x) => scale * (x > 0 ? 1 : alpha * Math.exp(x)),
    kinks: [0],
    homogeneous: false,
  };
}

const ENTRIES: readonly ActivationEntry[] = [
  {
    name: 'linear',
    aliases: ['identity', 'none'],
    make: () => ({ phi: (x) => x, dphi: () => 1, kinks: [], homogeneous: true }),
  },
  { name: 'relu', aliases: [], make: () => piecewiseLinear(0) },
  {
    name: 'relu6',
    aliases: [],
    make: () => ({
      phi: (x) => Math.min(Math.max(x, 0), 6),
      dphi: (x) => (x > 0 && x < 6 ? 1 : 0),
      kinks: [0, 6],
      homogeneous: false,
    }),
  },
  // PyTorch and JAX default slope 0.01 (Keras differs: layer 0.3, function 0.2; the Python
  // frontends pass the slope they read).
  { name: 'leaky_relu', aliases: ['leakyrelu', 'lrelu'], defaultParam: 0.01, make: (s) => piecewiseLinear(s ?? 0.01) },
  // nn.PReLU initial slope 0.25; at initialisation it is a leaky ReLU.
  { name: 'prelu', aliases: [], defaultParam: 0.25, make: (a) => piecewiseLinear(a ?? 0.25) },
  { name: 'elu', aliases: [], defaultParam: 1, make: (a) => eluWith(a ?? 1, 1) },
  { name: 'selu', aliases: [], make: () => eluWith(SELU_ALPHA, SELU_LAMBDA) },
  {
    // Exact (erf) GELU, PyTorch's and Keras 3's default.
    name: 'gelu',
    aliases: [],
    make: () => ({
      phi: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
      dphi: (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + x * normalPdf(x),
      kinks: [],
      homogeneous: false,
    }),
  },
  {
    name: 'silu',
    aliases: ['swish'],
    make: () => ({
      phi: (x) => x * sigmoid(x),
      dphi: (x) => {
        const s = sigmoid(x);
        return s * (1 + x * (1 - s));
      },
      kinks: [],
      homogeneous: false,
    }),
  },
  {
    name: 'mish',
    aliases: [],
    make: () => ({
      phi: (x) => x * Math.tanh(softplus(x)),
      dphi: (x) => {
        const t = Math.tanh(softplus(x));
        return t + x * (1 - t * t) * sigmoid(x);
      },
      kinks: [],
      homogeneous: false,
    }),
  },
  {
    name: 'tanh',
    aliases: [],
    make: () => ({
      phi: Math.tanh,
      dphi: (x) => {
        const t = Math.tanh(x);
        return 1 - t * t;
      },
      kinks: [],
      homogeneous: false,
    }),
  },
  {
    name: 'sigmoid',
    aliases: ['logistic'],
    make: () => ({
      phi: sigmoid,
      dphi: (x) => {
        const s = sigmoid(x);
        return s * (1 - s);
      },
      kinks: [],
      homogeneous: false,
    }),
  },
  {
    name: 'hard_tanh',
    aliases: ['hardtanh'],
    make: () => ({
      phi: (x) => Math.min(Math.max(x, -1), 1),
      dphi: (x) => (x > -1 && x < 1 ? 1 : 0),
      kinks: [-1, 1],
      homogeneous: false,
    }),
  },
  {
    name: 'softplus',
    aliases: [],
    make: () => ({ phi: softplus, dphi: sigmoid, kinks: [], homogeneous: false }),
  },
  {
    // Softmax is not elementwise; it only appears on output heads. The simulation treats it
    // as the identity, i.e. reports the logits and starts the backward pass at them.
    name: 'softmax',
    aliases: [],
    make: () => ({ phi: (x) => x, dphi: () => 1, kinks: [], homogeneous: true }),
  },
];

const BY_SPELLING = new Map<string, ActivationEntry>();
for (const entry of ENTRIES) {
  BY_SPELLING.set(entry.name, entry);
  for (const alias of entry.aliases) BY_SPELLING.set(alias, entry);
}

/** Every accepted spelling, for did-you-mean suggestions. */
export const ACTIVATION_SPELLINGS: readonly string[] = [...BY_SPELLING.keys()];

/** Resolves a spelling (case-insensitive, aliases included) to its canonical name. */
export function resolveActivation(name: string): { name: ActivationName; defaultParam: number | undefined } | undefined {
  const entry = BY_SPELLING.get(name.trim().toLowerCase());
  return entry ? { name: entry.name, defaultParam: entry.defaultParam } : undefined;
}

export function activationTakesParam(name: ActivationName): boolean {
  return ENTRIES.find((e) => e.name === name)?.defaultParam !== undefined;
}

const FUNCTION_CACHE = new Map<string, ActivationFunctions>();
/** Activation objects are immutable IR values (a layer's own), so their functions can hang off them. */
const FUNCTIONS_BY_OBJECT = new WeakMap<Activation, ActivationFunctions>();

/** φ, φ′ and structure for an activation; cached per (name, param). */
export function activationFunctions(activation: Activation): ActivationFunctions {
  // By object first: the per-position maps ask once per position with the layer's own object.
  const known = FUNCTIONS_BY_OBJECT.get(activation);
  if (known) return known;
  const key = `${activation.name}:${activation.param ?? ''}`;
  let fns = FUNCTION_CACHE.get(key);
  if (!fns) {
    const entry = ENTRIES.find((e) => e.name === activation.name);
    if (!entry) throw new Error(`no activation entry for ${activation.name}`);
    fns = entry.make(activation.param);
    FUNCTION_CACHE.set(key, fns);
  }
  FUNCTIONS_BY_OBJECT.set(activation, fns);
  return fns;
}

/** How to show an activation: `relu`, `leaky_relu(0.2)`. */
export function activationLabel(activation: Activation): string {
  return activation.param === undefined ? activation.name : `${activation.name}(${activation.param})`;
}

/** The slope of a ReLU-family activation for the negative half-line (0 for ReLU), else undefined. */
export function negativeSlope(activation: Activation): number | undefined {
  switch (activation.name) {
    case 'relu':
      return 0;
    case 'leaky_relu':
      return activation.param ?? 0.01;
    case 'prelu':
      return activation.param ?? 0.25;
    default:
      return undefined;
  }
}

/**
 * Positively homogeneous at initialisation: φ(c·x) = c·φ(x) for c > 0 (PReLU starts as a
 * leaky ReLU). A weight scale before such an activation passes through it as a factor, so
 * a normalisation after it removes that scale (both frontends' scale-free exemption).
 */
export function isPositivelyHomogeneous(name: string): boolean {
  return name === 'relu' || name === 'leaky_relu' || name === 'prelu' || name === 'linear';
}
