/** The semantics of a recommended initializer (InitChoice), for counterfactual simulations. */
import type { InitChoice, InitSemantics } from '../ir';

export function choiceSemantics(choice: InitChoice): InitSemantics | undefined {
  switch (choice.family) {
    case 'he_normal': {
      const s = choice.negativeSlope ?? 0;
      return { kind: 'variance_scaling', scale: 2 / (1 + s * s), mode: 'fan_in', distribution: 'truncated_normal' };
    }
    case 'glorot_uniform':
      return { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform' };
    case 'lecun_normal':
      return { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'truncated_normal' };
    case 'variance_scaling':
      return { kind: 'variance_scaling', scale: choice.scale, mode: choice.mode, distribution: choice.distribution };
    case 'framework_default':
      return undefined;
  }
}
