/**
 * IW002 for Python: a string naming an activation (`activation="rleu"`,
 * `Activation("rleu")`), a Keras initializer (`kernel_initializer="he_norml"`) or a
 * kaiming nonlinearity (`nonlinearity="rleu"`) that the framework would reject. The
 * message suggests the nearest known name; the fix replaces the text inside the quotes.
 */
import type { Finding } from '../../../findings';
import { ACTIVATION_SPELLINGS } from '../../../knowledge/activations';
import { KAIMING_NONLINEARITIES } from '../../../knowledge/initializers';
import { suggest } from '../../../util/suggest';
import { type Node, stringValue } from '../syntax/syntax';

/** Keras 3 initializer names accepted as strings (init-math.md §a). */
export const KERAS_INITIALIZER_NAMES: readonly string[] = [
  'he_normal', 'he_uniform', 'glorot_normal', 'glorot_uniform', 'lecun_normal', 'lecun_uniform', 'random_normal',
  'random_uniform', 'truncated_normal', 'variance_scaling', 'orthogonal', 'zeros', 'ones', 'constant', 'identity',
  'xavier_normal', 'xavier_uniform', 'normal', 'uniform', 'stft',
];

/** Python spellings of activations beyond the engine's own (knowledge/activations.ts). */
const PYTHON_ACTIVATION_NAMES: readonly string[] = [
  'log_softmax', 'hard_sigmoid', 'hard_silu', 'hard_swish', 'softsign', 'exponential', 'celu', 'glu', 'log_sigmoid',
  'sparse_plus', 'squareplus', 'sparsemax', 'hardtanh',
];

export type NameKind = 'activation' | 'initializer' | 'nonlinearity';

const CANDIDATES: Readonly<Record<NameKind, readonly string[]>> = {
  activation: [...ACTIVATION_SPELLINGS, ...PYTHON_ACTIVATION_NAMES],
  initializer: KERAS_INITIALIZER_NAMES,
  nonlinearity: KAIMING_NONLINEARITIES,
};

/** Collects IW002 findings, once per string literal. */
export class UnknownNames {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<number>();

  /** Reports `node` (a string literal) when its value is not a known name of `kind`. */
  check(node: Node, kind: NameKind): void {
    if (node.type !== 'string' || this.seen.has(node.startIndex)) return;
    const value = stringValue(node);
    if (value === undefined) return;
    const candidates = CANDIDATES[kind];
    const lower = value.toLowerCase();
    if (candidates.some((c) => c.toLowerCase() === lower || c.toLowerCase() === lower.replace(/[-\s]/g, '_'))) return;
    // Keras accepts class names too (`kernel_initializer="HeNormal"`).
    if (kind === 'initializer' && candidates.includes(value.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase())) return;
    this.seen.add(node.startIndex);
    const suggestion = suggest(value, candidates);
    const inner = { start: node.startIndex + 1, end: node.endIndex - 1 };
    const plain = node.text.length === value.length + 2;
    this.findings.push({
      code: 'IW002',
      severity: 'warning',
      span: { start: node.startIndex, end: node.endIndex },
      message: `Unknown ${kind} '${value}'${suggestion === undefined ? '' : ` — did you mean '${suggestion}'?`}`,
      fixes: suggestion !== undefined && plain
        ? [{ title: `Replace with '${suggestion}'`, applicability: 'unsafe', edits: [{ span: inner, newText: suggestion }] }]
        : [],
      related: [],
    });
  }
}
