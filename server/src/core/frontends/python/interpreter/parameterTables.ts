/**
 * Learned tensors a module holds directly (`self.pos_embed = nn.Parameter(torch.zeros(1, n + 1,
 * d))`, `self.cls_token = nn.Parameter(torch.randn(1, 1, dim))`) and what their init is, in
 * program order: the tensor they are created from (`torch.randn` → N(0, 1), `torch.zeros` → 0,
 * `torch.randn(…) * 0.02` → N(0, 0.02²), `torch.empty` → not yet known), then every init call on
 * them (`nn.init.trunc_normal_(self.pos_embed, std=.02)`, timm's own `trunc_normal_`,
 * `self.pos_embed.data.normal_(std=0.02)`). Anything else done to one in place, or init code
 * InitWise cannot decide or read that may touch it, makes its init unknown.
 *
 * Added to the stream of tokens (`x + self.pos_embed`) one is a position table
 * (ir.ts PositionTableOp); put in front of the tokens (`torch.cat((cls_tokens, x), dim=1)`) a
 * class token (ClassTokenOp). Only zero-mean inits are read as either: the simulation then adds
 * no cross term between tokens (docs/python.md "Position tables").
 */
import type { FixedPositionTable, InitSemantics } from '../../../ir';
import type { Span } from '../../../text';
import { weightMean, weightVariance } from '../../../knowledge/initializers';
import type { Imports } from '../frameworks/imports';
import { readTensorMethod, readTorchInitCall } from '../frameworks/initializers';
import { type CallParts, type Node, spanOf } from '../syntax/syntax';
import { evaluate, isNumber, type Scope } from './values';

export interface ParameterTable {
  /** The parameter's shape as created; undefined entries are not known integers. */
  readonly shape: readonly (number | undefined)[];
  /** Its init now (undefined: unknown, or not drawn yet as `torch.empty` leaves it). */
  init: { readonly semantics: InitSemantics; readonly label: string } | undefined;
  /** Text of its second-to-last dimension as written (`num_patches + 1`): the token rows. */
  readonly rowsText: string | undefined;
  readonly span: Span;
  /** A fixed table the constructor computes (sinusoidalTables.ts, sinCos2dTables.ts): never drawn. */
  readonly fixed?: FixedPositionTable;
}

/** Longest dimension text shown as is (positionRows.ts keeps the same limit). */
const MAX_TEXT = 40;

const CREATORS: Readonly<Record<string, (() => { semantics: InitSemantics; label: string }) | undefined>> = {
  'torch.randn': () => ({ semantics: { kind: 'normal', mean: 0, std: 1 }, label: 'torch.randn' }),
  'torch.zeros': () => ({ semantics: { kind: 'constant', value: 0 }, label: 'torch.zeros' }),
  // A norm's per-feature weight (handNorm.ts: `x * self.weight` is x at init); `init_values * torch.ones(d)` is that constant.
  'torch.ones': () => ({ semantics: { kind: 'constant', value: 1 }, label: 'torch.ones' }),
  'torch.empty': undefined,
};

/**
 * `nn.Parameter(<creator>(*dims))` (also `torch.nn.Parameter`, `requires_grad=` allowed): the table
 * it creates, or undefined when the argument is no creator it reads. `canonicalOf` names callees.
 */
export function parameterTable(call: CallParts, canonicalOf: (node: Node) => string | undefined, scope: Scope): ParameterTable | undefined {
  if (call.spread || call.positional.length !== 1 || [...call.keywords.keys()].some((k) => k !== 'requires_grad')) return undefined;
  let data = call.positional[0]!;
  let factor = 1;
  // `torch.randn(1, n, d) * 0.02` (either order): a scaled normal.
  if (data.type === 'binary_operator' && data.childForFieldName('operator')?.text === '*') {
    const left = data.childForFieldName('left')!;
    const right = data.childForFieldName('right')!;
    const leftValue = evaluate(left, scope);
    const rightValue = evaluate(right, scope);
    if (isNumber(rightValue) && left.type === 'call') [data, factor] = [left, rightValue];
    else if (isNumber(leftValue) && right.type === 'call') [data, factor] = [right, leftValue];
    else return undefined;
  }
  if (data.type !== 'call') return undefined;
  const creatorCall = data;
  const callee = creatorCall.childForFieldName('function');
  const name = callee ? canonicalOf(callee) : undefined;
  if (name === undefined || !(name in CREATORS)) return undefined;
  const args = creatorCall.childForFieldName('arguments')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
  const keywordArgs = args.filter((a) => a.type === 'keyword_argument');
  // dtype=, device=, requires_grad= change nothing about the values; size= is read as the dims.
  if (keywordArgs.some((a) => !['dtype', 'device', 'requires_grad'].includes(a.childForFieldName('name')?.text ?? ''))) return undefined;
  let dims = args.filter((a) => a.type !== 'keyword_argument');
  if (dims.length === 1 && (dims[0]!.type === 'tuple' || dims[0]!.type === 'list')) dims = dims[0]!.namedChildren.filter((c) => c.type !== 'comment');
  if (dims.length === 0 || dims.some((d) => d.type === 'list_splat')) return undefined;
  const shape = dims.map((d) => {
    const v = evaluate(d, scope);
    return isNumber(v) && Number.isInteger(v) && v >= 0 ? v : undefined;
  });
  const created = CREATORS[name]?.();
  const init = created && factor !== 1
    ? created.semantics.kind === 'normal' ? { semantics: { kind: 'normal' as const, mean: 0, std: Math.abs(factor) }, label: `${created.label} * ${factor}` }
      : created.semantics.kind === 'constant' ? { semantics: { kind: 'constant' as const, value: created.semantics.value * factor }, label: `${created.label} * ${factor}` } : created
    : created;
  const rowsNode = dims.length >= 2 ? dims[dims.length - 2] : undefined;
  const rowsText = rowsNode ? rowsNode.text.replace(/\s+/g, ' ') : undefined;
  return {
    shape, init, span: spanOf(call.node),
    rowsText: rowsText === undefined ? undefined : rowsText.length > MAX_TEXT ? `${rowsText.slice(0, MAX_TEXT - 1)}…` : rowsText,
  };
}

/** `nn.init.trunc_normal_(table, …)` and the other `torch.nn.init.*_` calls (timm's `trunc_normal_` read as PyTorch's: same signature). */
export function initTable(table: ParameterTable, call: CallParts, canonical: string, scope: Scope, imports: Imports): void {
  const torchName = torchInitName(canonical) ?? canonical;
  const read = readTorchInitCall(call, torchName, scope, imports);
  if (read === 'not-init') {
    table.init = undefined;
    return;
  }
  // A fan-scaled init on a table has no fans InitWise reads for it: unknown.
  table.init = read.semantics && isFixedScale(read.semantics) ? { semantics: read.semantics, label: read.label } : undefined;
}

/** `table.data.normal_(std=0.02)`, `.zero_()`; any other in-place method makes the init unknown. */
export function tableMethod(table: ParameterTable, method: string, call: CallParts, scope: Scope, imports: Imports): void {
  const read = readTensorMethod(method, call, scope, imports);
  table.init = read !== 'not-init' && read.semantics && isFixedScale(read.semantics) ? { semantics: read.semantics, label: read.label } : undefined;
}

/** timm's `trunc_normal_` (timm.models.layers, timm.layers, timm.models.layers.weight_init, …). */
export const TIMM_TRUNC_NORMAL = /^timm\.(?:[\w.]+\.)?trunc_normal_$/;

/**
 * The `torch.nn.init` function a call names: its own, or timm's `trunc_normal_`, which has
 * torch's signature and semantics (tensor, mean=0, std=1, a=-2, b=2: absolute bounds; timm's
 * `trunc_normal_tf_`, bounds in stds, is not it). Undefined for any other function.
 */
export function torchInitName(canonical: string): string | undefined {
  if (canonical.startsWith('torch.nn.init.')) return canonical;
  return TIMM_TRUNC_NORMAL.test(canonical) ? 'torch.nn.init.trunc_normal_' : undefined;
}

function isFixedScale(semantics: InitSemantics): boolean {
  return semantics.kind === 'normal' || semantics.kind === 'truncated_normal' || semantics.kind === 'uniform' || semantics.kind === 'constant';
}

/**
 * E[p²] of one element when the table's init is known and zero-mean (independent draws: the
 * sum with the stream has no cross term), else undefined.
 */
export function zeroMeanSecondMoment(table: ParameterTable): { semantics: InitSemantics; label: string; secondMoment: number } | undefined {
  const init = table.init;
  if (!init || Math.abs(weightMean(init.semantics)) > 1e-12) return undefined;
  const secondMoment = weightVariance(init.semantics, { fanIn: 1, fanOut: 1 });
  return Number.isFinite(secondMoment) && secondMoment >= 0 ? { ...init, secondMoment } : undefined;
}

/**
 * The table as one row per token of width `width`: shape (1, T, d) or (T, d), with d the stream's
 * width when both are known. Returns its rows (undefined when not a known integer), or
 * 'not-rows' for any other shape (a per-feature offset `torch.randn(d)` is no position table).
 */
export function tokenRows(table: ParameterTable, width: number | undefined): number | undefined | 'not-rows' {
  const shape = table.shape;
  if (shape.length === 3 && shape[0] !== 1) return 'not-rows';
  if (shape.length !== 2 && shape.length !== 3) return 'not-rows';
  const d = shape[shape.length - 1];
  if (d !== undefined && width !== undefined && d !== width) return 'not-rows';
  if (d === undefined && width === undefined) return 'not-rows';
  return shape[shape.length - 2];
}
