/**
 * The second moment of a layer's bias at initialisation, which the simulation adds to
 * every pre-activation (σ_b²).
 */
import type { Framework, WeightLayerKind } from '../../ir';
import { frameworkDefaultBiasVariance } from '../../knowledge/defaults';
import { isFanScaled, weightMean, weightVariance } from '../../knowledge/initializers';
import type { OptionAst } from './ast';
import type { LayerGeometry } from './geometry';
import { readInitializer } from './readInitializer';
import { readBoolean, type Reader } from './values';

/**
 * Zeros unless `bias=` says otherwise (the Keras and Flax default; PyTorch's is not, and
 * `bias=default` asks for it: U(±1/√fan_in) on the framework fan_in). Any other
 * initializer contributes Var + mean². A fan-scaled one sees a vector as long as the
 * layer's output (Keras computes fan_in = fan_out = length for one-dimensional tensors);
 * with that width unknown it counts as 0, and the simulation does not run anyway.
 */
export function biasSecondMoment(
  kind: WeightLayerKind, options: ReadonlyMap<string, OptionAst>, geometry: LayerGeometry, reader: Reader, framework: Framework,
): number {
  if (kind === 'embedding') return 0;
  const useBiasOption = options.get('use_bias');
  const biasOption = options.get('bias');
  const useBias = useBiasOption ? readBoolean(useBiasOption.value, reader, 'use_bias') : true;
  if (useBias === false) {
    if (biasOption) reader.diags.syntax(biasOption.span, 'bias= has no effect with use_bias=false: remove one of them');
    return 0;
  }
  if (!biasOption) return 0;
  const value = biasOption.value;
  const calleeName = value.kind === 'name' ? value.name.lower : value.kind === 'call' ? value.callee.lower : undefined;
  if (calleeName === 'default') {
    if (value.kind === 'call' && value.args.length > 0) reader.diags.syntax(value.span, "'default' takes no arguments");
    return frameworkDefaultBiasVariance(framework, kind, geometry.fans?.frameworkFans.fanIn ?? 0);
  }
  const semantics = readInitializer(value, reader, framework, kind).semantics;
  if (!semantics) return 0;
  const width = geometry.outFeatures;
  if (width === undefined && isFanScaled(semantics)) return 0;
  const n = width ?? 1;
  const mean = weightMean(semantics);
  const secondMoment = weightVariance(semantics, { fanIn: n, fanOut: n }) + mean * mean;
  return Number.isFinite(secondMoment) ? secondMoment : 0;
}
