/**
 * Stochastic depth (Huang et al. 2016) as the libraries spell it (issue 15): timm's `DropPath(p)`
 * module and `drop_path(x, p, training)` function (timm.layers, timm.models.layers, …), and
 * torchvision's `StochasticDepth(p, mode)` module and `stochastic_depth(x, p, mode, training)`
 * function. Each zeroes a whole sample's branch output with probability p and scales the kept ones
 * by 1/(1−p) in training mode (ir.ts DropPathOp). What is read here is p; what cannot be
 * simulated as that op says why (torchvision's mode 'batch' draws one mask for the whole batch;
 * timm's `scale_by_keep=False` does not rescale, so the mean is not kept).
 */
import { argument, type CallParts } from '../syntax/syntax';
import { evaluate, isNumber, type Scope, type Value } from '../interpreter/values';

/** timm's DropPath module (timm.layers, timm.models.layers, timm.layers.drop, …): `DropPath(drop_prob=0., scale_by_keep=True)`. */
export const TIMM_DROP_PATH = /^timm\.(?:[\w.]+\.)?DropPath$/;
/** torchvision's StochasticDepth module: `StochasticDepth(p, mode)`. */
export const TORCHVISION_STOCHASTIC_DEPTH = /^torchvision\.ops\.(?:stochastic_depth\.)?StochasticDepth$/;
const TIMM_DROP_PATH_FUNCTION = /^timm\.(?:[\w.]+\.)?drop_path$/;
const TORCHVISION_FUNCTION = /^torchvision\.ops\.(?:stochastic_depth\.)?stochastic_depth$/;

/**
 * What a stochastic-depth call reads as: p (undefined when not known), or why it is not the op.
 * `identity`: the call does nothing (p = 0, or the function form told `training=False`).
 */
export type StochasticDepthRead =
  | { readonly kind: 'rate'; readonly rate: number | undefined }
  | { readonly kind: 'identity' }
  | { readonly kind: 'unread'; readonly reason: string };

/** A rate in [0, 1); anything else is not known. */
function rateOf(value: Value | undefined): number | undefined {
  return isNumber(value) && value >= 0 && value < 1 ? value : undefined;
}

/** torchvision's mode: 'row' is per sample (the op); 'batch' one draw for all; anything else not known. */
function modeReason(value: Value | undefined, label: string): string | undefined {
  if (value === 'row') return undefined;
  return value === 'batch'
    ? `stochastic depth (${label} with mode 'batch': one draw for the whole batch)`
    : `stochastic depth (${label}, its mode not known)`;
}

/** A DropPath or StochasticDepth module constructor call; undefined when the class is neither. */
export function stochasticDepthModule(canonical: string, call: CallParts, scope: Scope): StochasticDepthRead | undefined {
  if (TIMM_DROP_PATH.test(canonical)) {
    const pNode = argument(call, 0, 'drop_prob');
    const keepNode = argument(call, 1, 'scale_by_keep');
    if (keepNode && evaluate(keepNode, scope) !== true) return { kind: 'unread', reason: 'stochastic depth (timm\'s DropPath without scale_by_keep: the kept samples are not rescaled)' };
    return { kind: 'rate', rate: pNode ? rateOf(evaluate(pNode, scope)) : 0 };
  }
  if (TORCHVISION_STOCHASTIC_DEPTH.test(canonical)) {
    const mode = argument(call, 1, 'mode');
    const reason = modeReason(mode ? evaluate(mode, scope) : undefined, 'torchvision\'s StochasticDepth');
    if (reason) return { kind: 'unread', reason };
    const pNode = argument(call, 0, 'p');
    return { kind: 'rate', rate: pNode ? rateOf(evaluate(pNode, scope)) : undefined };
  }
  return undefined;
}

/**
 * `drop_path(x, p, training)` (timm: training defaults to False, the module passes `self.training`)
 * or `stochastic_depth(x, p, mode, training=True)` (torchvision). `training` read as False: the
 * identity; read as True, or as `self.training` (the module's own flag, true while training, the
 * mode the simulation runs in, as for dropout): the op; otherwise not known.
 */
export function stochasticDepthFunction(canonical: string, call: CallParts, scope: Scope): StochasticDepthRead | undefined {
  const timm = TIMM_DROP_PATH_FUNCTION.test(canonical);
  if (!timm && !TORCHVISION_FUNCTION.test(canonical)) return undefined;
  const label = timm ? 'timm\'s drop_path' : 'torchvision\'s stochastic_depth';
  const trainingNode = timm ? argument(call, 2, 'training') : argument(call, 3, 'training');
  const training = trainingNode === undefined ? !timm : trainingNode.text.replace(/\s+/g, '') === 'self.training' ? true : evaluate(trainingNode, scope);
  if (training === false) return { kind: 'identity' };
  if (training !== true) return { kind: 'unread', reason: `stochastic depth (${label}, whether it is training not known)` };
  if (!timm) {
    const mode = argument(call, 2, 'mode');
    const reason = modeReason(mode ? evaluate(mode, scope) : undefined, label);
    if (reason) return { kind: 'unread', reason };
  }
  const pNode = argument(call, 1, timm ? 'drop_prob' : 'p');
  const rate = pNode ? rateOf(evaluate(pNode, scope)) : timm ? 0 : undefined;
  return rate === 0 ? { kind: 'identity' } : { kind: 'rate', rate };
}
