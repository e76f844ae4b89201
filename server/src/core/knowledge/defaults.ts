/**
 * Framework defaults for layers that name no initializer (init-math.md §b):
 * PyTorch Linear/Conv kaiming_uniform_(a=√5) = U(±1/√fan_in), Var = 1/(3·fan_in);
 * Keras glorot_uniform; Flax lecun_normal. Embeddings differ per framework.
 */
import type { Framework, InitSemantics, WeightLayerKind } from '../ir';

export interface DefaultInit {
  readonly semantics: InitSemantics;
  readonly label: string;
}

const PYTORCH_LINEAR_DEFAULT: DefaultInit = {
  // torch/nn/modules/linear.py reset_parameters: kaiming_uniform_(self.weight, a=math.sqrt(5)).
  semantics: {
    kind: 'kaiming', mode: 'fan_in', nonlinearity: 'leaky_relu', a: Math.sqrt(5), distribution: 'uniform',
    written: { nonlinearity: false, a: false },
  },
  label: 'PyTorch default kaiming_uniform_(a=√5)',
};

export function frameworkDefaultInit(framework: Framework, kind: WeightLayerKind): DefaultInit {
  switch (framework) {
    case 'pytorch':
      if (kind === 'embedding') return { semantics: { kind: 'normal', mean: 0, std: 1 }, label: 'PyTorch default normal_(0, 1)' };
      return PYTORCH_LINEAR_DEFAULT;
    case 'keras':
      if (kind === 'embedding') {
        return { semantics: { kind: 'uniform', low: -0.05, high: 0.05 }, label: "Keras default 'uniform' (±0.05)" };
      }
      return {
        semantics: { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform' },
        label: 'Keras default glorot_uniform',
      };
    case 'flax':
      if (kind === 'embedding') {
        // variance_scaling(1.0, 'fan_in', 'normal', out_axis=0): fan_in resolves to `features`.
        return {
          semantics: { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'untruncated_normal' },
          label: 'Flax default variance_scaling(1, fan_in, normal)',
        };
      }
      return {
        semantics: { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
        label: 'Flax default lecun_normal',
      };
  }
}

/** Second moment of the default bias: PyTorch U(±1/√fan_in) → 1/(3·fan_in); Keras and Flax zeros. */
export function frameworkDefaultBiasVariance(framework: Framework, kind: WeightLayerKind, frameworkFanIn: number): number {
  if (framework !== 'pytorch' || kind === 'embedding' || !(frameworkFanIn > 0)) return 0;
  return 1 / (3 * frameworkFanIn);
}
