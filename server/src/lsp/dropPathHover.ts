/**
 * Hover on a stochastic-depth module or call (timm's DropPath, torchvision's StochasticDepth; ir.ts
 * DropPathOp): the rate each branch it builds gets and how the simulation treats it (training
 * mode: the branch's second moment, token cross moment and gradient ×1/(1−p)). One statement
 * builds a drop path per block (timm's per-block rates from linspace): all of them are listed as a
 * range.
 */
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import { formatNumber } from '../core/format/numbers';
import { dropPathOps, dropPathSentence } from '../core/report/stochasticDepth';
import type { DocumentAnalysis } from './analysisCache';
import { spanContains, toRange } from './convert';

export function dropPathHoverAt(analysis: DocumentAnalysis, offset: number): Hover | null {
  for (const network of analysis.result.networks) {
    const ops = dropPathOps(network).filter((op) => spanContains(op.span, offset));
    const first = ops[0];
    if (!first) continue;
    const same = ops.filter((op) => op.span.start === first.span.start && op.span.end === first.span.end);
    const rates = same.filter((op) => !op.assumed).map((op) => op.rate);
    const lines = [`**stochastic depth** \`${first.label}\` · in \`${network.name.replace(/[`|]/g, "'")}\``, '', dropPathSentence(first) + '.'];
    if (same.length > 1) {
      const low = rates.length > 0 ? Math.min(...rates) : undefined;
      const high = rates.length > 0 ? Math.max(...rates) : undefined;
      const range = low === undefined ? 'none read' : low === high ? `p = ${formatNumber(low)}` : `p ${formatNumber(low)} … ${formatNumber(high!)}`;
      lines.push('', `This statement builds ${same.length} drop paths (${range}${rates.length < same.length ? `; ${same.length - rates.length} not known, simulated at 0` : ''}); the values above are the first one's.`);
    }
    if (network.unsimulable !== undefined) lines.push('', `The network is not simulated: ${network.unsimulable.replace(/[`|]/g, "'")}.`);
    return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: toRange(analysis.index, first.span) };
  }
  return null;
}
