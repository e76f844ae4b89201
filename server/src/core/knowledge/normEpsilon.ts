/**
 * Each framework's default ε of a normalisation layer, x/√(Var + ε), where the code names none
 * (ir.ts NormOp.epsilon). From the frameworks' own signatures:
 *   PyTorch  nn.LayerNorm / BatchNorm*d / GroupNorm / InstanceNorm*d  eps=1e-5; nn.RMSNorm and
 *            F.rms_norm eps=None, which is torch.finfo(float32).eps = 2⁻²³
 *   Keras    LayerNormalization / BatchNormalization / GroupNormalization  epsilon=1e-3;
 *            RMSNormalization epsilon=1e-6
 *   Flax     nn.LayerNorm / RMSNorm / GroupNorm / InstanceNorm  epsilon=1e-6; nn.BatchNorm 1e-5
 * The `.netdef` language has no place for it (netdef.md): its norms take their framework's default.
 */
import type { Framework, NormOp } from '../ir';

/** torch.finfo(torch.float32).eps: what PyTorch's RMSNorm uses when eps is None. */
export const FLOAT32_EPSILON = 2 ** -23;

export function defaultNormEpsilon(framework: Framework, kind: NormOp['kind']): number {
  switch (framework) {
    case 'pytorch': return kind === 'rmsnorm' ? FLOAT32_EPSILON : 1e-5;
    case 'keras': return kind === 'rmsnorm' ? 1e-6 : 1e-3;
    case 'flax': return kind === 'batchnorm' ? 1e-5 : 1e-6;
  }
}
