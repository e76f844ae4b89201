/**
 * A PyTorch model's input shape where the file states it with certainty: a sample tensor built
 * in place and passed to the model outside any forward pass (`model(torch.randn(1, 3, 32, 32))`,
 * or a variable assigned one). Only factories whose arguments are the shape count; anything
 * else (a loaded batch, a computed size) leaves the shape unknown, and no default is assumed.
 */
import type { Imports } from '../frameworks/imports';
import { shapeValue } from '../frameworks/catalog';
import { callParts, dottedName, type Node } from '../syntax/syntax';
import type { Frame } from './frame';
import type { ModuleValue } from './modules';
import { evaluate } from './values';

/** torch.randn(1, 3, 32, 32), torch.zeros((1, 3, 32, 32)), torch.rand(size=(…)): the shape is the arguments. */
const TORCH_SAMPLE_FACTORIES: ReadonlySet<string> = new Set(['torch.randn', 'torch.rand', 'torch.zeros', 'torch.ones', 'torch.empty']);

/** The sample's shape (batch axis first), or undefined when the node is not such a sample. */
export function torchSampleShape(sample: Node, frame: Frame, imports: Imports): number[] | undefined {
  let node: Node | undefined = sample;
  if (node.type === 'identifier') node = frame.scope.expressionOf(node.text)?.node;
  const call = node ? callParts(node) : undefined;
  const written = call ? dottedName(call.callee) : undefined;
  if (!call || written === undefined || !TORCH_SAMPLE_FACTORIES.has(imports.canonical(written))) return undefined;
  const sizeNode = call.keywords.get('size')?.value;
  if (sizeNode) return call.positional.length === 0 ? shapeValue(evaluate(sizeNode, frame.scope)) : undefined;
  if (call.positional.length === 1) {
    const only = evaluate(call.positional[0]!, frame.scope);
    return Array.isArray(only) ? shapeValue(only) : shapeValue([only ?? null]);
  }
  if (call.positional.some((p) => p.type === 'list_splat')) return undefined;
  return shapeValue(call.positional.map((p) => evaluate(p, frame.scope) ?? null));
}

/** The model is PyTorch code (an instance of a torch.nn.Module subclass, or a torch container). */
export function isTorchModel(module: ModuleValue): boolean {
  if (module.kind === 'instance') return module.framework === 'pytorch';
  return (module.kind === 'sequence' || module.kind === 'list') && module.className.startsWith('torch.');
}
