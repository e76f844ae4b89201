/**
 * A fixed 2-D sin-cos position table computed by a function of the file (vit-pytorch's
 * `posemb_sincos_2d` in simple_vit.py and its relatives), read when every step of the function is
 * the definition:
 *
 *     def posemb_sincos_2d(h, w, dim, temperature=10000, dtype=torch.float32):
 *         y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
 *         assert (dim % 4) == 0, "feature dimension must be multiple of 4 for sincos emb"
 *         omega = torch.arange(dim // 4) / (dim // 4 - 1)
 *         omega = 1.0 / (temperature ** omega)            # or temperature ** -omega
 *         y = y.flatten()[:, None] * omega[None, :]
 *         x = x.flatten()[:, None] * omega[None, :]
 *         pe = torch.cat((x.sin(), x.cos(), y.sin(), y.cos()), dim=1)
 *         return pe.type(dtype)
 *
 * (any names; asserts and a docstring anywhere; the four blocks in any order, which permutes the
 * columns only; a cast on the result). Called with arguments that fold to numbers it is the table
 * (ir.ts SinCos2dTable): h·w rows, one per patch in row-major order, of width 4·(dim // 4).
 * Anything else in the body leaves the call as before (unknown).
 */
import type { SinCos2dTable } from '../../../ir';
import { bodyOf, callParts, type CallParts, type Node, stringValue, unparen } from '../syntax/syntax';
import { evaluate, evaluateCount, isNumber, type Scope } from './values';

type Canonical = (node: Node) => string | undefined;

/** The table the function computes with the arguments bound in `scope`, and the rows as the code writes them. */
export interface SinCos2dReading {
  readonly table: SinCos2dTable;
  /** How the rows read (`(image_height // patch_height) × (image_width // patch_width)`: the caller's arguments). */
  readonly rowsText: string;
}

function squeeze(text: string): string {
  return text.replace(/\s+/g, '');
}

/** The statements that compute: no docstring, `assert` or `pass`. */
function steps(definition: Node): Node[] {
  return bodyOf(definition).filter((s) => {
    if (s.type === 'assert_statement' || s.type === 'pass_statement' || s.type === 'comment') return false;
    return !(s.type === 'expression_statement' && s.namedChild(0)?.type === 'string');
  });
}

function assignment(statement: Node | undefined): { left: Node; right: Node } | undefined {
  const a = statement?.type === 'expression_statement' ? statement.namedChild(0) : null;
  if (a?.type !== 'assignment') return undefined;
  const left = a.childForFieldName('left');
  const right = a.childForFieldName('right');
  return left && right ? { left, right } : undefined;
}

function callOf(node: Node, canonical: Canonical, name: string): CallParts | undefined {
  const n = unparen(node);
  const call = n.type === 'call' ? callParts(n) : undefined;
  return call && canonical(call.callee) === name ? call : undefined;
}

/** Only these keywords (a device or dtype changes no value). */
function onlyKeywords(call: CallParts, allowed: readonly string[]): boolean {
  return !call.spread && [...call.keywords.keys()].every((k) => allowed.includes(k));
}

/** `torch.arange(E)`: E's expression. */
function arangeOf(node: Node, canonical: Canonical): Node | undefined {
  const call = callOf(node, canonical, 'torch.arange');
  return call && call.positional.length === 1 && onlyKeywords(call, ['device', 'dtype']) ? call.positional[0] : undefined;
}

function isOne(node: Node, scope: Scope): boolean {
  return evaluate(node, scope) === 1;
}

/**
 * The function's table when `definition` is the definition step by step and its arguments (bound
 * in `scope` to the caller's expressions) fold to numbers; undefined otherwise.
 */
export function sinCos2dTable(definition: Node, scope: Scope, canonical: Canonical): SinCos2dReading | undefined {
  const body = steps(definition);
  if (body.length !== 7) return undefined;
  // 1. y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
  const grid = assignment(body[0]);
  if (!grid || (grid.left.type !== 'pattern_list' && grid.left.type !== 'tuple_pattern')) return undefined;
  const names = grid.left.namedChildren.filter((c) => c.type !== 'comment');
  if (names.length !== 2 || names.some((n) => n.type !== 'identifier')) return undefined;
  const [rowName, columnName] = names.map((n) => n.text) as [string, string];
  if (rowName === columnName) return undefined;
  const mesh = callOf(grid.right, canonical, 'torch.meshgrid');
  if (!mesh || mesh.positional.length !== 2 || !onlyKeywords(mesh, ['indexing'])) return undefined;
  const indexing = mesh.keywords.get('indexing')?.value;
  if (indexing && stringValue(indexing) !== 'ij') return undefined;
  const [hNode, wNode] = mesh.positional.map((p) => arangeOf(p, canonical));
  if (!hNode || !wNode) return undefined;
  const gridHeight = evaluateCount(hNode, scope);
  const gridWidth = evaluateCount(wNode, scope);
  if (!gridHeight || !gridWidth) return undefined;
  // 2. omega = torch.arange(dim // 4) / (dim // 4 - 1)
  const frequencies = assignment(body[1]);
  if (frequencies?.left.type !== 'identifier') return undefined;
  const omega = frequencies.left.text;
  const ratio = unparen(frequencies.right);
  if (ratio.type !== 'binary_operator' || ratio.childForFieldName('operator')?.text !== '/') return undefined;
  const countNode = arangeOf(ratio.childForFieldName('left')!, canonical);
  const quarter = countNode ? evaluateCount(countNode, scope) : undefined;
  if (!quarter || quarter < 2 || evaluate(ratio.childForFieldName('right')!, scope) !== quarter - 1) return undefined;
  // 3. omega = 1.0 / (temperature ** omega), or temperature ** -omega
  const powered = assignment(body[2]);
  if (powered?.left.text !== omega) return undefined;
  const base = temperature(powered.right, omega, scope);
  if (base === undefined) return undefined;
  // 4, 5. y = y.flatten()[:, None] * omega[None, :], the same for x (either order)
  const scaled = [assignment(body[3]), assignment(body[4])];
  const expected = (name: string) => `${name}.flatten()[:,None]*${omega}[None,:]`;
  const done = new Set<string>();
  for (const s of scaled) {
    if (!s || s.left.type !== 'identifier' || (s.left.text !== rowName && s.left.text !== columnName) || done.has(s.left.text)) return undefined;
    if (squeeze(s.right.text) !== expected(s.left.text)) return undefined;
    done.add(s.left.text);
  }
  // 6. pe = torch.cat((x.sin(), x.cos(), y.sin(), y.cos()), dim=1)
  const joined = assignment(body[5]);
  if (joined?.left.type !== 'identifier') return undefined;
  const pe = joined.left.text;
  const cat = callOf(joined.right, canonical, 'torch.cat');
  const items = cat?.positional[0] ? unparen(cat.positional[0]) : undefined;
  if (!cat || !items || (items.type !== 'tuple' && items.type !== 'list') || !onlyKeywords(cat, ['dim'])) return undefined;
  const axisNode = cat.keywords.get('dim')?.value ?? cat.positional[1];
  const axis = axisNode ? evaluate(axisNode, scope) : 0;
  if (cat.positional.length > 2 || (axis !== 1 && axis !== -1)) return undefined;
  const parts = items.namedChildren.filter((c) => c.type !== 'comment').map((c) => squeeze(c.text)).sort();
  const wanted = [`${columnName}.cos()`, `${columnName}.sin()`, `${rowName}.cos()`, `${rowName}.sin()`].sort();
  if (parts.length !== 4 || parts.some((p, i) => p !== wanted[i])) return undefined;
  // 7. return pe (a cast allowed: .type(dtype), .to(…), .float())
  const returned = body[6]!;
  if (returned.type !== 'return_statement' || !returned.namedChild(0) || !castOf(returned.namedChild(0)!, pe)) return undefined;
  const rows = gridHeight * gridWidth;
  return {
    table: { kind: 'sincos2d', base, width: 4 * quarter, gridHeight, gridWidth, rows },
    rowsText: `(${written(hNode, scope)}) × (${written(wNode, scope)})`,
  };
}

/** A parameter as the caller wrote its argument (`image_height // patch_height`), else the text. */
function written(node: Node, scope: Scope): string {
  const n = unparen(node);
  const bound = n.type === 'identifier' ? scope.expressionOf(n.text) : undefined;
  return (bound ? bound.node.text : n.text).replace(/\s+/g, ' ');
}

/** `1.0 / (T ** omega)` or `T ** -omega`: T, a number above 1. */
function temperature(node: Node, omega: string, scope: Scope): number | undefined {
  const n = unparen(node);
  let power: Node | undefined;
  let negated = false;
  if (n.type === 'binary_operator' && n.childForFieldName('operator')?.text === '/' && isOne(n.childForFieldName('left')!, scope)) {
    power = unparen(n.childForFieldName('right')!);
  } else {
    power = n;
    negated = true;
  }
  if (power.type !== 'binary_operator' || power.childForFieldName('operator')?.text !== '**') return undefined;
  const exponent = squeeze(power.childForFieldName('right')!.text);
  if (exponent !== (negated ? `-${omega}` : omega)) return undefined;
  const base = evaluate(power.childForFieldName('left')!, scope);
  return isNumber(base) && base > 1 ? base : undefined;
}

/** `pe`, `pe.type(dtype)`, `pe.to(…)`, `pe.float()`. */
function castOf(node: Node, name: string): boolean {
  const n = unparen(node);
  if (n.type === 'identifier') return n.text === name;
  const call = n.type === 'call' ? callParts(n) : undefined;
  const method = call?.callee.type === 'attribute' ? call.callee.childForFieldName('attribute')?.text : undefined;
  if (!call || !method || !['type', 'to', 'float'].includes(method)) return false;
  return unparen(call.callee.childForFieldName('object')!).text === name;
}
