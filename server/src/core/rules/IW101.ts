/**
 * IW101 init-activation-mismatch: an explicitly written initializer whose scale does not
 * suit the activation its layer feeds (spec/rules.md). Decided on σ² = n·Var(W) in the
 * initializer's own fan mode, never on names.
 */
import type { Fix } from '../findings';
import { activationLabel } from '../knowledge/activations';
import { assessInit } from '../knowledge/assess';
import { partnerActivation } from '../knowledge/policy';
import { compact, impactClause, scaleDetails, useInitFix } from './common';
import { kaimingMismatch } from './kaiming';
import { smallScaleIsDeliberate } from '../knowledge/branches';
import { impactSeverity } from './impact';
import type { Rule } from './types';

export const IW101: Rule = {
  meta: {
    code: 'IW101',
    name: 'init-activation-mismatch',
    defaultSeverity: 'warning',
    summary:
      "An explicitly written initializer gives the layer a weight scale that does not suit its activation (outside the activation's accepted conventions, or designed for another activation family and >25% off target).",
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'Computes σ² = n·Var(W) for the initializer you wrote, in its own fan mode (fan_in, fan_out or fan_avg) and with ' +
        "the framework's real semantics, and compares it with what the activation after the layer needs: ReLU ≈ 2 (He), " +
        'leaky ReLU 2/(1+s²), tanh 1 (Glorot/LeCun) up to 25/9 (PyTorch gain 5/3), GELU/SiLU/Mish ≈ 2, linear and ' +
        'softmax heads 1. It flags a scale outside the accepted range, or an initializer designed for another family ' +
        '(He on tanh, Glorot on ReLU) that is more than 25% off the target. The message leads with what the layer does, in one quantity: ' +
        'fan_in·Var(W) for the forward pass (fan_out·Var(W) when the initializer normalises by fan_out: the backward pass), with the layer\'s real fans, ' +
        '"×k per layer" being that σ² over the target (exact for the ReLU family and linear layers); the σ² in the initializer\'s own fan mode follows when it differs.' +
        ' Severity follows impact (issue 13): warning when the network\'s signal or gradient leaves the IW201–IW204 band the way this layer pushes it, info when the simulated network ends inside the band both ways, the default otherwise (not simulated); a configured severity wins.',
      whyItMatters:
        'Each layer multiplies the signal\'s second moment by about σ²·E[φ(z)²]. Glorot on ReLU gives ×0.5 per layer: ' +
        'after 20 layers the signal is 1e-6 of its input and the gradients vanish with it (He et al. 2015, who could ' +
        'not train a 30-layer ReLU net with Xavier init). He on tanh pushes units into saturation and into the chaotic ' +
        'phase, where gradients grow ×1.1–1.2 per layer.',
      example: 'network mlp framework=pytorch {\n  input 784\n  dense 512 activation=relu init=glorot_uniform\n  dense 10 activation=softmax init=glorot_uniform\n}',
      useInstead: 'network mlp framework=pytorch {\n  input 784\n  dense 512 activation=relu init=he_normal\n  dense 10 activation=softmax init=glorot_uniform\n}',
      fixSafety:
        'Both fixes ("Use INIT", and where a natural partner exists "Use ACTIVATION instead") are unsafe: they change ' +
        'the training numerics, so they are offered as quick fixes but never applied by fix-all.',
      whenNotToApply:
        'Layers followed by BatchNorm/LayerNorm before their activation, or right after it (Conv → ReLU → BatchNorm, ConvMixer), are not judged (normalisation resets the scale). ' +
        'A deliberately small last layer of a network or residual branch (Fixup-style scaling, small policy heads), and ' +
        'layers inside a residual branch that starts with normalisation or whose sum is normalised (pre-LN transformers: GPT-2\'s std=0.02; post-LN: BERT\'s), or that follow a normalisation inside the branch (ConvNeXt\'s block: depthwise conv → LayerNorm → Linear → GELU → Linear, timm\'s std=.02), are ' +
        'only flagged when too large. Pretrained weights are never judged.',
      references: [
        'He et al. 2015, Delving Deep into Rectifiers, https://arxiv.org/abs/1502.01852',
        'Glorot & Bengio 2010, http://proceedings.mlr.press/v9/glorot10a.html',
        'Poole et al. 2016, https://arxiv.org/abs/1606.05340',
        'torch.nn.init.calculate_gain (PyTorch docs)',
      ],
    },
  },
  check(context) {
    const { network, report } = context;
    for (const layer of network.layers) {
      if (!layer.init.explicit || layer.init.acceptedDefault) continue;
      const assessment = assessInit(layer, network.pretrained);
      // SELU layers are IW103's; all-equal weights are IW104's.
      if (!assessment || assessment.verdict === 'ok' || assessment.policy.family === 'selu' || assessment.variance === 0) continue;
      // A too-small last layer of a branch is deliberate (zero/small-init heads, Fixup).
      // A small last layer of a branch, or a small scale inside a normalised residual branch, is deliberate.
      if (smallScaleIsDeliberate(network, layer) && assessment.ratio < 1) continue;
      // A kaiming_* told the wrong nonlinearity is IW102's finding, with its own fix.
      if (kaimingMismatch(layer)) continue;
      const cause =
        assessment.verdict === 'wrong-family'
          ? `\`${layer.init.label}\` (scaled for the ${assessment.policy.family === 'tanh' ? 'ReLU' : 'tanh/linear'} family) under ${activationLabel(assessment.activation)}`
          : `\`${layer.init.label}\` under ${activationLabel(assessment.activation)}`;
      const recommended = layer.fixes.describeInitializer(assessment.policy.recommended);
      const fixes: Fix[] = compact([useInitFix(layer, assessment.policy.recommended), partnerFix(layer, assessment.scale)]);
      report({
        severity: impactSeverity(context, assessment.ratio, 'warning'),
        span: layer.init.span ?? layer.kindSpan,
        message: `${impactClause(assessment, layer)}: ${cause}; use ${recommended}. ${scaleDetails(assessment, layer)}`,
        fixes,
      });
    }
  },
};

function partnerFix(layer: Parameters<typeof useInitFix>[0], scale: number): Fix | undefined {
  if (layer.activation === 'unknown' || !layer.activation.explicit || layer.consumer === 'unknown') return undefined;
  // Only a fused activation can be switched in place.
  if (layer.activation.span?.start !== layer.consumer.span?.start) return undefined;
  const partner = partnerActivation(scale, layer.consumer);
  if (!partner) return undefined;
  const edits = layer.fixes.setActivation(partner);
  if (!edits || edits.length === 0) return undefined;
  return { title: `Use ${activationLabel(partner)} instead of ${activationLabel(layer.consumer)}`, applicability: 'unsafe', edits };
}
