/**
 * The geometry of a weight layer: its fans from the shape flowing in, the shape flowing
 * out, and the layer's own sizes (kernel, stride, groups). Mismatches between what a
 * layer needs and what it gets are IW001 naming the shape and the fix; the layer then
 * has no fans, and the output shape is whatever can still be known.
 */
import type { ConvGeometry, Framework } from '../../ir';
import type { OptionAst, Statement } from './ast';
import {
  convFans, convOutputLength, denseFans, describeShape, embeddingFans, layoutName, product, type LayerFans, type Shape,
} from './shapes';
import { STATEMENTS, type Checked } from './statements';
import { readChoice, readCount, readSizes, type Reader } from './values';

export interface GeometryContext {
  readonly reader: Reader;
  readonly framework: Framework;
  /** The shape flowing in; undefined when unknown (or irrelevant, for an embedding). */
  readonly input: Shape | undefined;
}

export interface LayerGeometry {
  readonly fans: LayerFans | undefined;
  readonly receptiveField: number;
  readonly strideProduct: number;
  /** Output width (units, filters), for a fan-scaled bias initializer. */
  readonly outFeatures: number | undefined;
  /** The shape flowing out; undefined when it cannot be known. */
  readonly output: Shape | undefined;
  /** Spatial geometry of a convolution whose input shape is known. */
  readonly conv?: ConvGeometry;
}

export function denseGeometry(statement: Statement, { reader, input }: GeometryContext): LayerGeometry {
  const unitsExpr = statement.positionals[0];
  const units = unitsExpr ? readCount(unitsExpr, reader, 'the number of units') : undefined;
  let fans: LayerFans | undefined;
  if (input && input.length !== 1) {
    reader.diags.syntax(statement.keyword!.span, `dense needs flat features, but its input is ${describeShape(input)}: add 'flatten' before it`);
  } else if (input && units !== undefined) {
    fans = denseFans(input[0]!, units);
  }
  // Even after a shape error the next layer sees UNITS features: one mistake, one finding.
  return { fans, receptiveField: 1, strideProduct: 1, outFeatures: units, output: units === undefined ? undefined : [units] };
}

export function embeddingGeometry(statement: Statement, { reader, framework }: GeometryContext): LayerGeometry {
  const [vocabExpr, dimExpr] = statement.positionals;
  const vocab = vocabExpr ? readCount(vocabExpr, reader, 'the vocabulary size') : undefined;
  const dim = dimExpr ? readCount(dimExpr, reader, 'the embedding size') : undefined;
  return {
    fans: vocab !== undefined && dim !== undefined ? embeddingFans(vocab, dim, framework) : undefined,
    receptiveField: 1,
    strideProduct: 1,
    outFeatures: undefined,
    output: dim === undefined ? undefined : [dim],
  };
}

export function convGeometry(
  statement: Statement, kind: 'conv1d' | 'conv2d' | 'conv3d', { options, unknownOption }: Checked, { reader, input }: GeometryContext,
): LayerGeometry {
  const keyword = statement.keyword!;
  const rank = kind === 'conv1d' ? 1 : kind === 'conv2d' ? 2 : 3;
  const filtersExpr = statement.positionals[0];
  const filters = filtersExpr ? readCount(filtersExpr, reader, 'the number of filters') : undefined;

  const kernelOption = options.get('kernel');
  const kernel = kernelOption ? readSizes(kernelOption.value, reader, 'kernel', rank, 1) : undefined;
  if (!kernelOption && !statement.syntaxError && !unknownOption) {
    reader.diags.syntax(keyword.span, `${kind} needs its kernel size, as in '${STATEMENTS.get(kind)!.example}'`);
  }
  const strideOption = options.get('stride');
  const stride = strideOption ? readSizes(strideOption.value, reader, 'stride', rank, 1) : new Array<number>(rank).fill(1);
  const padding = readPadding(options.get('padding'), rank, reader);
  const groupsOption = options.get('groups');
  const groups = groupsOption ? readCount(groupsOption.value, reader, 'groups') : 1;

  const result = (fans: LayerFans | undefined, output: Shape | undefined): LayerGeometry => ({
    fans,
    receptiveField: kernel ? product(kernel) : 1,
    strideProduct: stride ? product(stride) : 1,
    outFeatures: filters,
    output,
  });
  if (!input) return result(undefined, undefined);
  if (input.length !== rank + 1) {
    const layout = layoutName(rank + 1);
    const fix = input.length === 1
      ? `declare 'input ${layout}' or move the flatten/dense that made it flat`
      : input.length - 1 <= 3 ? `use conv${input.length - 1}d for a ${layoutName(input.length)} input` : 'check the input shape';
    reader.diags.syntax(keyword.span, `${kind} needs a channels-first ${layout} input, but its input is ${describeShape(input)}: ${fix}`);
    return result(undefined, undefined);
  }
  const inChannels = input[0]!;
  if (groups !== undefined && groupsOption && ((filters !== undefined && filters % groups !== 0) || inChannels % groups !== 0)) {
    reader.diags.syntax(
      groupsOption.value.span,
      `groups=${groups} must divide both the input channels (${inChannels}) and the filters (${filters ?? '?'})`,
    );
    return result(undefined, undefined);
  }
  if (filters === undefined || kernel === undefined || stride === undefined || padding === undefined || groups === undefined) {
    return result(undefined, undefined);
  }
  const fans = convFans(inChannels, filters, groups, kernel);
  const spatial = input.slice(1).map((length, i) =>
    convOutputLength(length, kernel[i]!, stride[i]!, padding === 'same' || padding === 'valid' ? padding : padding[i]!));
  if (spatial.some((length) => length < 1)) {
    const paddingText = padding === 'same' || padding === 'valid' ? padding : padding.join('x');
    reader.diags.syntax(
      kernelOption!.value.span,
      `kernel ${kernel.join('x')} does not fit the ${input.slice(1).join('x')} input with padding=${paddingText}: the output would be empty`,
    );
    return result(fans, undefined);
  }
  const inputSpatial = input.slice(1);
  const padBefore = inputSpatial.map((length, i) => {
    if (padding === 'valid') return 0;
    if (padding !== 'same') return padding[i]!;
    // 'same' pads k−1 in total at stride 1, and max((out−1)·s + k − L, 0) in general,
    // the extra zero going after (PyTorch and Keras agree).
    const total = Math.max((spatial[i]! - 1) * stride[i]! + kernel[i]! - length, 0);
    return Math.floor(total / 2);
  });
  return { ...result(fans, [filters, ...spatial]), conv: { inputSpatial, outputSpatial: spatial, kernel, stride, padBefore } };
}

function readPadding(option: OptionAst | undefined, rank: number, reader: Reader): 'same' | 'valid' | number[] | undefined {
  if (!option) return 'valid';
  const value = option.value;
  if (value.kind === 'name' || value.kind === 'string') return readChoice(value, reader, 'padding', ['same', 'valid'] as const);
  return readSizes(value, reader, 'padding', rank, 0);
}
