/**
 * Tokens per sequence from a learned position table (issue 15): `nn.Embedding(config.block_size,
 * n_embd)` looked up with `torch.arange(T)` has one row per position, so its row count is the
 * longest sequence the model runs (nanoGPT trains at `block_size`). The token-stream simulation
 * then runs at that length and hover and report say where it came from; without a table it keeps
 * DEFAULT_TOKENS and says that it assumed them.
 */
import type { Fans } from '../../../ir';
import { argument, callParts, type Node } from '../syntax/syntax';
import type { PositionRows } from './trace';

/** Longest argument text shown as is; a longer expression is shortened with an ellipsis. */
const MAX_TEXT = 40;

/**
 * The rows of `nn.Embedding(num_embeddings, …)` (Keras: `layers.Embedding(input_dim, …)`, Chollet's
 * `sequence_length`) when they are known, and the code stating them. PyTorch's framework fans of an
 * embedding are (dim, rows), Keras's (rows, dim).
 */
export function positionRowsOf(call: Node, frameworkFans: Fans | undefined, framework: 'pytorch' | 'keras' = 'pytorch'): PositionRows | undefined {
  const count = framework === 'keras' ? frameworkFans?.fanIn : frameworkFans?.fanOut;
  if (count === undefined || !Number.isInteger(count) || count < 1) return undefined;
  const parts = callParts(call);
  const node = parts ? argument(parts, 0, framework === 'keras' ? 'input_dim' : 'num_embeddings') : undefined;
  if (!node) return undefined;
  const text = node.text.replace(/\s+/g, ' ');
  return { count, text: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text };
}
