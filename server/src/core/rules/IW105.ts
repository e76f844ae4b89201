/**
 * IW105 fan-independent-init: a fixed std or range is right at one width only. The finding
 * gives the fan-scaled initializer that equals it at the current width.
 */
import type { InitChoice, InitSemantics, WeightLayer } from '../ir';
import { weightMean, weightVariance } from '../knowledge/initializers';
import { formatNumber } from '../format/numbers';
import { smallScaleIsDeliberate } from '../knowledge/branches';
import type { Rule } from './types';

export const IW105: Rule = {
  meta: {
    code: 'IW105',
    name: 'fan-independent-init',
    defaultSeverity: 'info',
    summary:
      'Weights drawn with a fixed std or range (normal(std=0.01), RandomNormal(0.05), uniform) instead of a fan-scaled rule: correct at one width, wrong when the width changes.',
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'Flags kernels drawn from a fixed-scale distribution (normal, truncated normal, uniform) and states the ' +
        'fan-scaled `variance_scaling` initializer that gives the same variance at the current width.',
      whyItMatters:
        'The signal scale per layer is fan_in·Var(W). With a fixed std it changes with the width: std=0.02 gives ' +
        'σ² = 0.31 at width 768 and 1.3 at width 3,072. Writing the scale relative to the fan keeps the behaviour when ' +
        'the model is resized.',
      example: 'network mlp {\n  input 768\n  dense 768 activation=relu init=normal(std=0.05)\n  dense 10\n}',
      useInstead:
        'network mlp {\n  input 768\n  dense 768 activation=relu init=variance_scaling(scale=1.92, mode=fan_in, distribution=untruncated_normal)\n  dense 10\n}',
      fixSafety:
        'The fix is safe: at the current width the variance is unchanged. It is offered only when every expansion of the ' +
        'statement has the same fan and the distribution has mean 0.',
      whenNotToApply:
        'The last layer of a network or residual branch (small fixed-std heads are deliberate), layers inside a residual ' +
        'branch that starts with normalisation (GPT-2\'s std=0.02), layers followed by normalisation (before or right after their activation), and pretrained ' +
        'weights. It also stays quiet when the std or range is computed from the layer\'s width rather than fixed ' +
        '(`std = math.sqrt(2.0 / self.in_features)`, the legacy `math.sqrt(2. / n)` with `n` counted from ' +
        '`m.kernel_size` and `m.out_channels`, SIREN\'s `np.sqrt(6 / self.in_features) / omega_0`), and when one init call ' +
        'gives the layers it sets different stds. Whether the scale itself suits the activation is IW101.',
      references: ['He et al. 2015, https://arxiv.org/abs/1502.01852', 'LeCun et al. 1998, Efficient BackProp'],
    },
  },
  check({ network, report }) {
    if (network.pretrained) return;
    const scalesBySpan = new Map<number, Set<string>>();
    const candidates: { layer: WeightLayer; scale: number }[] = [];
    const widthDependentSpans = spansSettingSeveralStds(network.layers);
    for (const layer of network.layers) {
      const semantics = layer.init.semantics;
      if (!semantics || !isFixedScale(semantics) || !layer.init.explicit) continue;
      // A std computed from the width (`math.sqrt(2.0 / self.in_features)`), or one call giving each layer its own std.
      if (layer.init.scaleFollows !== undefined || (layer.init.span && widthDependentSpans.has(layer.init.span.start))) continue;
      if (smallScaleIsDeliberate(network, layer) || layer.kind === 'embedding' || layer.kind === 'recurrent' || layer.normalizedBeforeActivation || layer.normalizedAfterActivation) continue;
      if (!layer.fans || !layer.frameworkFans) continue;
      const scale = layer.fans.fanIn * weightVariance(semantics, layer.frameworkFans, layer.receptiveField);
      const key = layer.span.start;
      if (!scalesBySpan.has(key)) scalesBySpan.set(key, new Set());
      scalesBySpan.get(key)!.add(scale.toPrecision(6));
      candidates.push({ layer, scale });
    }
    for (const { layer, scale } of candidates) {
      const semantics = layer.init.semantics!;
      const choice: InitChoice = {
        family: 'variance_scaling',
        scale: Number(scale.toPrecision(4)),
        mode: 'fan_in',
        distribution: semantics.kind === 'uniform' ? 'uniform' : semantics.kind === 'normal' ? 'untruncated_normal' : 'truncated_normal',
      };
      const equivalent = layer.fixes.describeInitializer(choice);
      // One statement expanded at several widths has no single equivalent; a non-zero mean has none at all.
      const fixable = scalesBySpan.get(layer.span.start)!.size === 1 && weightMean(semantics) === 0 && scale > 0;
      const edits = fixable ? layer.fixes.setInitializer(choice) : undefined;
      report({
        span: layer.init.span ?? layer.kindSpan,
        message:
          `\`${layer.init.label}\` does not scale with the layer's width: here σ² = fan_in·Var(W) = ${formatNumber(scale)} ` +
          `(fan_in ${layer.fans!.fanIn}); at another width it changes. Equivalent at this width: ${equivalent}.`,
        fixes: edits && edits.length > 0 ? [{ title: `Use ${equivalent}`, applicability: 'safe', edits }] : [],
      });
    }
  },
};

/** Init call sites that give the layers they set different variances: computed per layer, so not fixed. */
function spansSettingSeveralStds(layers: readonly WeightLayer[]): Set<number> {
  const variances = new Map<number, Set<string>>();
  for (const layer of layers) {
    const semantics = layer.init.semantics;
    if (!semantics || !isFixedScale(semantics) || !layer.init.span || !layer.frameworkFans) continue;
    const key = layer.init.span.start;
    if (!variances.has(key)) variances.set(key, new Set());
    variances.get(key)!.add(weightVariance(semantics, layer.frameworkFans, layer.receptiveField).toPrecision(6));
  }
  return new Set([...variances].filter(([, set]) => set.size > 1).map(([key]) => key));
}

function isFixedScale(semantics: InitSemantics): boolean {
  return semantics.kind === 'normal' || semantics.kind === 'truncated_normal' || semantics.kind === 'uniform';
}
