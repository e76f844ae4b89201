/**
 * What a call to a library model builds, as a record the constant folder reads
 * (`resnet18(weights=...).fc.in_features` → 512, `vgg16().classifier[0].in_features` →
 * 25088, `timm.create_model("resnet50", num_classes=0).num_features` → 2048,
 * `AutoModel.from_pretrained("bert-base-uncased").config.hidden_size` → 768,
 * `ResNet50(include_top=False, pooling="avg").output_shape` → (None, 2048)). The widths are
 * data: frameworks/libraryModels.ts, with their sources.
 */
import { HUGGING_FACE_CHECKPOINTS, KERAS_APPLICATIONS, type ModelShape, TIMM_MODELS, TORCHVISION_MODELS } from '../frameworks/libraryModels';
import type { Imports } from '../frameworks/imports';
import { argument, type CallParts, dottedName, stringValue } from '../syntax/syntax';
import { evaluate, type RecordValue, type Scope, type Value } from './values';

/** The reader the module scope consults (Scope.registerLibraryModels). */
export function libraryModelReader(imports: Imports, scope: Scope): (call: CallParts) => RecordValue | undefined {
  return (call) => {
    const written = dottedName(call.callee);
    if (written === undefined) return undefined;
    const canonical = imports.canonical(written);
    const name = canonical.slice(canonical.lastIndexOf('.') + 1);
    if (canonical.startsWith('torchvision.models.')) {
      const model = TORCHVISION_MODELS.get(name);
      return model ? record(model.shape) : undefined;
    }
    const first = argument(call, 0, canonical === 'timm.create_model' ? 'model_name' : 'pretrained_model_name_or_path');
    const key = first ? stringValue(first) : undefined;
    if (canonical === 'timm.create_model') {
      const model = key === undefined ? undefined : TIMM_MODELS.get(key);
      return model ? record(model.shape) : undefined;
    }
    if (canonical.startsWith('transformers.') && name === 'from_pretrained') {
      const model = key === undefined ? undefined : HUGGING_FACE_CHECKPOINTS.get(key);
      return model ? record(model.shape) : undefined;
    }
    if (canonical.startsWith('keras.applications.')) {
      const shape = kerasApplicationOutput(name, call, scope);
      return shape ? { attributes: new Map<string, Value>([['output_shape', [null, ...shape.map((n) => (Number.isFinite(n) ? n : null))]]]) } : undefined;
    }
    return undefined;
  };
}

/**
 * The output shape (batch axis dropped) of `keras.applications.<Name>(include_top=False,
 * ...)`: (channels,) with pooling="avg"/"max"; the last feature map otherwise, its spatial
 * sizes known only for VGG with a constant input_shape (NaN where unknown). Undefined when
 * include_top is not a constant False, alpha is not 1 (MobileNetV2), or the model is not in
 * the catalog.
 */
export function kerasApplicationOutput(name: string, call: CallParts, scope: Scope): number[] | undefined {
  const model = KERAS_APPLICATIONS.get(name);
  if (!model || call.spread) return undefined;
  const includeTop = call.keywords.get('include_top')?.value;
  if (!includeTop || evaluate(includeTop, scope) !== false) return undefined;
  const alpha = call.keywords.get('alpha')?.value;
  if (alpha && evaluate(alpha, scope) !== 1) return undefined;
  const poolingNode = call.keywords.get('pooling')?.value;
  const pooling = poolingNode ? evaluate(poolingNode, scope) : null;
  if (pooling === 'avg' || pooling === 'max') return [model.channels];
  if (poolingNode && pooling !== null) return undefined;
  const inputNode = call.keywords.get('input_shape')?.value;
  const input = inputNode ? evaluate(inputNode, scope) : undefined;
  const spatial = Array.isArray(input) && input.length === 3 && model.halvings !== undefined
    ? (input as readonly Value[]).slice(0, 2).map((n) => (typeof n === 'number' ? Math.floor(n / 2 ** model.halvings!) : NaN))
    : [NaN, NaN];
  return [...spatial, model.channels];
}

function record(shape: ModelShape): RecordValue {
  const attributes = new Map<string, Value>();
  for (const [key, value] of Object.entries(shape)) {
    if (typeof value === 'number') attributes.set(key, value);
    else if (Array.isArray(value)) attributes.set(key, (value as readonly (ModelShape | null)[]).map((item) => record(item ?? {})));
    else attributes.set(key, record(value as ModelShape));
  }
  return { attributes };
}
