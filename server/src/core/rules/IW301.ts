/**
 * IW301 implicit-default-init: no initializer written, and the framework default does
 * not suit the activation (PyTorch Linear/Conv Var = 1/(3·fan_in), Keras glorot_uniform,
 * Flax lecun_normal). Kept apart from IW101 so a team can accept defaults.
 */
import { assessInit } from '../knowledge/assess';
import { activationLabel } from '../knowledge/activations';
import { compact, frameworkDefaultName, impactClause, scaleDetails, useInitFix } from './common';
import { smallScaleIsDeliberate } from '../knowledge/branches';
import { impactSeverity } from './impact';
import type { Rule } from './types';

export const IW301: Rule = {
  meta: {
    code: 'IW301',
    name: 'implicit-default-init',
    defaultSeverity: 'info',
    summary:
      "A layer gives no initializer, and its framework's default (PyTorch Linear/Conv: Var = 1/(3·fan_in); Keras: glorot_uniform; Flax: lecun_normal) does not suit its activation.",
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        "For layers that name no initializer, computes the framework default's σ² and judges it like IW101: PyTorch's " +
        'Linear/Conv default kaiming_uniform_(a=√5) gives σ² = 1/3, Keras glorot_uniform 1 on square layers, Flax ' +
        'lecun_normal 1. Under ReLU, GELU or SiLU none of them is the He value 2. Severity follows impact (issue 13): warning when the network\'s signal or gradient leaves the IW201–IW204 band the way this layer pushes it, info when the simulated network ends inside the band both ways, the default otherwise (not simulated); a configured severity wins.',
      whyItMatters:
        "PyTorch's default shrinks the signal ×1/6 per ReLU layer (1.6e-15 after 20 layers, confirmed against real " +
        'PyTorch); the framework will not change it (pytorch#15314, pytorch#57109). Most users never see the default ' +
        'they got.',
      example: 'network mlp framework=pytorch {\n  input 784\n  dense 512 activation=relu\n  dense 10\n}',
      useInstead: 'network mlp framework=pytorch {\n  input 784\n  dense 512 activation=relu init=he_normal\n  dense 10\n}',
      fixSafety:
        '"Use INIT" is unsafe (it changes training numerics). "Write the default explicitly" (`init=default`) is safe: ' +
        'it changes nothing but documents the choice, and silences IW301. IW201–IW204 still report what the default ' +
        'does to a deep stack.',
      whenNotToApply:
        'Layers followed by normalisation before their activation or right after it (Conv → ReLU → BatchNorm), SELU layers (IW103 judges them), a small last layer ' +
        'of a network or residual branch or a small scale inside a residual branch that starts with normalisation, and ' +
        'pretrained weights.',
      references: [
        'pytorch/pytorch#15314, #57109, #129302 (the a=√5 default)',
        'He et al. 2015, https://arxiv.org/abs/1502.01852',
        'shared reference: init-math.md §b (defaults per framework)',
      ],
    },
  },
  check(context) {
    const { network, report } = context;
    for (const layer of network.layers) {
      if (layer.init.explicit) continue;
      const assessment = assessInit(layer, network.pretrained);
      // SELU layers are IW103's.
      if (!assessment || assessment.verdict === 'ok' || assessment.policy.family === 'selu') continue;
      if (smallScaleIsDeliberate(network, layer) && assessment.ratio < 1) continue;
      const fixes = compact([
        useInitFix(layer, assessment.policy.recommended),
        explicitDefaultFix(layer),
      ]);
      report({
        severity: impactSeverity(context, assessment.ratio, 'info'),
        span: layer.kindSpan,
        message:
          `${impactClause(assessment, layer)}: ${frameworkDefaultName(network)} under ${activationLabel(assessment.activation)}; ` +
          `use ${layer.fixes.describeInitializer(assessment.policy.recommended)}. No initializer given: the ${layer.init.label} gives ${scaleDetails(assessment, layer)}`,
        fixes,
      });
    }
  },
};

function explicitDefaultFix(layer: Parameters<typeof useInitFix>[0]) {
  const edits = layer.fixes.setInitializer({ family: 'framework_default' });
  if (!edits || edits.length === 0) return undefined;
  return {
    title: `Keep the framework default, written explicitly: ${layer.fixes.describeInitializer({ family: 'framework_default' })}`,
    applicability: 'safe' as const,
    edits,
  };
}
