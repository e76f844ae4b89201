/**
 * Text edits in .netdef's own spelling, for the rules' quick fixes. Each edit touches
 * one value or appends one option at the end of the statement (before any comment), so
 * the file stays readable by the parser; when a statement had a syntax error its layout
 * is not trusted and no edit is offered.
 */
import type { TextEdit } from '../../findings';
import type { Activation, DropoutFixBuilder, DropoutOp, FixBuilder, InitChoice, WeightLayerKind } from '../../ir';
import { activationTakesParam } from '../../knowledge/activations';
import type { Span } from '../../text';
import type { Expr, Statement } from './ast';
import { formatNumber } from './numbers';
import type { InitReading } from './readInitializer';

/** Where a layer's statement spells its kernel initializer and activation. */
export interface LayerSource {
  readonly source: string;
  readonly statement: Statement;
  readonly kind: WeightLayerKind;
  readonly initExpr: Expr | undefined;
  readonly init: InitReading | undefined;
  readonly activationExpr: Expr | undefined;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The netdef spelling of a recommended initializer (also the fix's title). */
export function describeInitializerChoice(choice: InitChoice): string {
  switch (choice.family) {
    case 'he_normal':
      return choice.negativeSlope === undefined || choice.negativeSlope === 0
        ? 'he_normal'
        : `kaiming_normal(a=${formatNumber(choice.negativeSlope)}, nonlinearity=leaky_relu)`;
    case 'glorot_uniform':
      return 'glorot_uniform';
    case 'lecun_normal':
      return 'lecun_normal';
    case 'variance_scaling':
      return `variance_scaling(scale=${formatNumber(choice.scale, 4)}, mode=${choice.mode}, distribution=${choice.distribution})`;
    case 'framework_default':
      return 'default';
  }
}

/** `relu`, `leaky_relu(0.2)`; undefined when the parameter is not a finite number. */
export function activationText(activation: Activation): string | undefined {
  if (activation.param === undefined || !activationTakesParam(activation.name)) return activation.name;
  if (!Number.isFinite(activation.param)) return undefined;
  return `${activation.name}(${formatNumber(activation.param)})`;
}

function finiteChoice(choice: InitChoice): boolean {
  if (choice.family === 'he_normal') return choice.negativeSlope === undefined || Number.isFinite(choice.negativeSlope);
  if (choice.family === 'variance_scaling') return Number.isFinite(choice.scale) && choice.scale > 0;
  return true;
}

export class NetdefFixBuilder implements FixBuilder {
  /**
   * The stand-alone `activation ACT` statement this layer feeds, when its consumer is
   * one: changing the activation edits that statement. Set by consumer resolution.
   */
  consumerSpan: Span | undefined;

  constructor(private readonly layer: LayerSource) {}

  describeInitializer(choice: InitChoice): string {
    return describeInitializerChoice(choice);
  }

  setInitializer(choice: InitChoice): readonly TextEdit[] | undefined {
    if (this.layer.statement.syntaxError || !finiteChoice(choice)) return undefined;
    const text = describeInitializerChoice(choice);
    if (this.layer.initExpr) return [{ span: this.layer.initExpr.span, newText: text }];
    return [this.append(`init=${text}`)];
  }

  setActivation(activation: Activation): readonly TextEdit[] | undefined {
    if (this.layer.statement.syntaxError) return undefined;
    const text = activationText(activation);
    if (text === undefined) return undefined;
    if (this.consumerSpan) return [{ span: this.consumerSpan, newText: text }];
    if (this.layer.activationExpr) return [{ span: this.layer.activationExpr.span, newText: text }];
    // An embedding has no activation option; its activation would be a statement of its own.
    if (this.layer.kind === 'embedding' || this.layer.kind === 'recurrent') return undefined;
    return [this.append(`activation=${text}`)];
  }

  setKaimingArguments(args: { nonlinearity: string; a?: number }): readonly TextEdit[] | undefined {
    const { initExpr, init, statement } = this.layer;
    if (statement.syntaxError || !initExpr || !init?.kaiming) return undefined;
    if (!IDENTIFIER.test(args.nonlinearity) || (args.a !== undefined && !Number.isFinite(args.a))) return undefined;
    const parts: string[] = [];
    if (init.kaiming.modeText !== undefined) parts.push(`mode=${init.kaiming.modeText}`);
    parts.push(`nonlinearity=${args.nonlinearity}`);
    if (args.a !== undefined) parts.push(`a=${formatNumber(args.a)}`);
    return [{ span: initExpr.span, newText: `${init.kaiming.callee}(${parts.join(', ')})` }];
  }

  /** Inserts ` key=value` right after the statement's last token, before a trailing comment. */
  private append(option: string): TextEdit {
    const at = this.layer.statement.span.end;
    return { span: { start: at, end: at }, newText: ` ${option}` };
  }
}

/** AlphaDropout for SELU networks: rename the `dropout` keyword, keep the rate. */
export function netdefDropoutFixes(source: string): DropoutFixBuilder {
  return {
    useAlphaDropout(op: DropoutOp): readonly TextEdit[] | undefined {
      if (op.alpha) return undefined;
      if (source.slice(op.kindSpan.start, op.kindSpan.end).toLowerCase() !== 'dropout') return undefined;
      return [{ span: op.kindSpan, newText: 'alphadropout' }];
    },
  };
}
