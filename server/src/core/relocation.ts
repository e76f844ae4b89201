/**
 * Moves results computed on an earlier version of a document to where their text sits
 * now. An edit shifts every offset after it; a result that depends only on statements the
 * edit did not touch is still right once its offsets follow those statements. The anchors
 * are those statements' old and new start offsets; an offset outside every anchor cannot
 * be moved, and the caller recomputes instead (RelocationFailed).
 */
import type { Finding, TextEdit } from './findings';
import type { AttentionFixBuilder, FixBuilder, Network, RecurrentFixBuilder } from './ir';
import type { Span } from './text';

export interface Anchor {
  /** Start offset in the text the result was computed on. */
  readonly from: number;
  /** Start offset of the same text now. */
  readonly to: number;
  readonly length: number;
}

export class RelocationFailed extends Error {}

export class Relocation {
  private readonly anchors: readonly Anchor[];
  /** Each wrapped fix builder's original (a builder reading its peers needs theirs). */
  private readonly innerBuilders = new WeakMap<FixBuilder, FixBuilder>();
  /** No anchor moved: results can be reused as they are. */
  readonly identity: boolean;

  constructor(anchors: readonly Anchor[]) {
    this.anchors = [...anchors].sort((a, b) => a.from - b.from);
    this.identity = anchors.every((a) => a.from === a.to);
  }

  offset(offset: number): number {
    const anchors = this.anchors;
    let lo = 0;
    let hi = anchors.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (anchors[mid]!.from <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Adjacent anchors can touch: an offset at the end of one may be the start of the next.
    for (let i = found; i >= 0 && i >= found - 1; i--) {
      const a = anchors[i]!;
      if (offset >= a.from && offset <= a.from + a.length) return offset - a.from + a.to;
    }
    throw new RelocationFailed(`offset ${offset} is outside the text the result depends on`);
  }

  span(span: Span): Span {
    return { start: this.offset(span.start), end: this.offset(span.end) };
  }

  finding(finding: Finding): Finding {
    if (this.identity) return finding;
    return {
      ...finding,
      span: this.span(finding.span),
      fixes: finding.fixes.map((fix) => ({ ...fix, edits: fix.edits.map((e) => ({ span: this.span(e.span), newText: e.newText })) })),
      related: finding.related.map((r) => ({ span: this.span(r.span), message: r.message })),
    };
  }

  /** The network with every span moved; its fix builders' edits are moved when they are built. */
  network(network: Network): Network {
    if (this.identity) return network;
    return this.copy(network, new Map()) as Network;
  }

  /**
   * A structural copy of IR data: spans ({start, end} and nothing else) are moved, fix
   * builders wrapped, shared objects (a layer is in both `ops` and `layers`) stay shared.
   */
  private copy(value: unknown, done: Map<object, unknown>): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      // Arrays of numbers (shapes, bands) are shared as they are: nothing in them moves.
      if (value.length === 0 || typeof value[0] !== 'object') return value;
      const seen = done.get(value);
      if (seen !== undefined) return seen;
      const items: unknown[] = new Array<unknown>(value.length);
      done.set(value, items);
      for (let i = 0; i < value.length; i++) items[i] = this.copy(value[i], done);
      return items;
    }
    if (isSpan(value)) return this.span(value);
    const seen = done.get(value);
    if (seen !== undefined) return seen;
    if (isFixBuilder(value)) {
      const wrapped = this.fixBuilder(value);
      done.set(value, wrapped);
      return wrapped;
    }
    if (isAttentionFixBuilder(value)) {
      const wrapped = this.attentionFixBuilder(value);
      done.set(value, wrapped);
      return wrapped;
    }
    if (isRecurrentFixBuilder(value)) {
      const wrapped = this.recurrentFixBuilder(value);
      done.set(value, wrapped);
      return wrapped;
    }
    const copy: Record<string, unknown> = {};
    done.set(value, copy);
    for (const key in value) copy[key] = this.copy((value as Record<string, unknown>)[key], done);
    return copy;
  }

  private recurrentFixBuilder(inner: RecurrentFixBuilder): RecurrentFixBuilder {
    const move = (edits: readonly TextEdit[] | undefined) => edits?.map((e) => ({ span: this.span(e.span), newText: e.newText }));
    return {
      ...(inner.setForgetBias ? { setForgetBias: (value: number) => move(inner.setForgetBias!(value)) } : {}),
      ...(inner.useOrthogonalRecurrent ? { useOrthogonalRecurrent: () => move(inner.useOrthogonalRecurrent!()) } : {}),
      ...(inner.useIdentityRecurrent ? { useIdentityRecurrent: () => move(inner.useIdentityRecurrent!()) } : {}),
    };
  }

  private fixBuilder(inner: FixBuilder): FixBuilder {
    const move = (edits: ReturnType<FixBuilder['setInitializer']>) => edits?.map((e) => ({ span: this.span(e.span), newText: e.newText }));
    const wrapped: FixBuilder = {
      setInitializer: (choice) => move(inner.setInitializer(choice)),
      setActivation: (activation) => move(inner.setActivation(activation)),
      setKaimingArguments: (args, reach) => move(inner.setKaimingArguments(args, reach)),
      describeInitializer: (choice) => inner.describeInitializer(choice),
      ...(inner.describeKaimingArguments ? { describeKaimingArguments: inner.describeKaimingArguments.bind(inner) } : {}),
      ...(inner.semanticsOf ? { semanticsOf: inner.semanticsOf.bind(inner) } : {}),
      // The group's builders are wrapped too: the inner one reads theirs (IW402's fix reads its peers' init calls).
      ...(inner.scaleStdForDepth
        ? { scaleStdForDepth: (branches: number, group?: readonly FixBuilder[], sharing?: number) =>
            move(inner.scaleStdForDepth!(branches, group?.map((g) => this.innerBuilders.get(g) ?? g), sharing)) }
        : {}),
    };
    this.innerBuilders.set(wrapped, inner);
    return wrapped;
  }

  private attentionFixBuilder(inner: AttentionFixBuilder): AttentionFixBuilder {
    return { useStandardScale: () => inner.useStandardScale()?.map((e) => ({ span: this.span(e.span), newText: e.newText })) };
  }
}

/** An attention's fixes (ir.ts AttentionFixBuilder). */
function isAttentionFixBuilder(value: object): value is AttentionFixBuilder {
  return typeof (value as Partial<AttentionFixBuilder>).useStandardScale === 'function';
}

/** A recurrent layer's fixes (ir.ts RecurrentFixBuilder): every method optional, all of them functions. */
function isRecurrentFixBuilder(value: object): value is RecurrentFixBuilder {
  const v = value as Partial<Record<keyof RecurrentFixBuilder, unknown>>;
  return typeof v.setForgetBias === 'function' || typeof v.useOrthogonalRecurrent === 'function' || typeof v.useIdentityRecurrent === 'function';
}

function isFixBuilder(value: object): value is FixBuilder {
  return typeof (value as Partial<FixBuilder>).setInitializer === 'function';
}

/** A Span is exactly `{ start, end }` with numbers (text.ts); nothing else in the IR has that shape. */
function isSpan(value: object): value is Span {
  if (typeof (value as Span).start !== 'number' || typeof (value as Span).end !== 'number') return false;
  let keys = 0;
  for (const key in value) {
    if (key !== 'start' && key !== 'end') return false;
    keys++;
  }
  return keys === 2;
}
