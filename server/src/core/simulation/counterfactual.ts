/**
 * "Would another initializer fix it?": the same network with every layer whose
 * initializer does not suit its activation switched to the recommended one (layers the
 * init rules accept keep theirs), for IW201–IW204's advice and the report's comparison.
 */
import type { Network, Op, WeightLayer } from '../ir';
import { assessInit } from '../knowledge/assess';
import { choiceSemantics } from '../knowledge/choices';
import { policyFor } from '../knowledge/policy';

export interface RecommendedNetwork {
  readonly network: Network;
  /** Indices of the layers whose initializer was switched. */
  readonly changed: readonly number[];
}

export function withRecommendedInits(network: Network): RecommendedNetwork {
  const changed: number[] = [];
  const replacement = new Map<WeightLayer, WeightLayer>();
  for (const layer of network.layers) {
    const assessment = assessInit(layer, false);
    if (!assessment || assessment.verdict === 'ok') continue;
    // A small or zero last layer of a branch is deliberate (the init rules accept it too).
    if (layer.isLastInBranch && assessment.ratio < 1) continue;
    const choice = policyFor(assessment.activation).recommended;
    // The builder knows when its edit writes another fan mode (depthwise, transposed layouts).
    const semantics = layer.fixes.semanticsOf?.(choice) ?? choiceSemantics(choice);
    if (!semantics) continue;
    changed.push(layer.index);
    replacement.set(layer, {
      ...layer,
      init: { semantics, label: layer.fixes.describeInitializer(choice) || choice.family, explicit: true, acceptedDefault: false },
    });
  }
  const mapOps = (ops: readonly Op[]): Op[] =>
    ops.map((op) => {
      if (op.op === 'layer') return replacement.get(op) ?? op;
      if (op.op === 'residual') return { ...op, body: mapOps(op.body), ...(op.shortcut ? { shortcut: mapOps(op.shortcut) } : {}) };
      if (op.op === 'memory') return { ...op, body: mapOps(op.body) };
      if (op.op === 'attention') {
        const swap = (layer: WeightLayer) => replacement.get(layer) ?? layer;
        return { ...op, query: swap(op.query), key: swap(op.key), value: swap(op.value), ...(op.output ? { output: swap(op.output) } : {}) };
      }
      return op;
    });
  return {
    network: { ...network, ops: mapOps(network.ops), layers: network.layers.map((l) => replacement.get(l) ?? l) },
    changed,
  };
}
