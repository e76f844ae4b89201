/**
 * The machine format: one JSON document, exactly the v1 contract of spec/cli.md
 * (positions 1-based, columns in UTF-16 code units as LSP counts them). Values the
 * engine could not determine are `null`, so every key is always present.
 */
import { type AnalysisResult, locate as locateOffset } from '../../core/analyze';
import type { Finding } from '../../core/findings';
import { explainLayer } from '../../core/knowledge/explain';
import { ruleByCode } from '../../core/rules/registry';
import { LineIndex, type Span } from '../../core/text';

export interface JsonRange {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface JsonLayer {
  /** In a notebook: the 1-based cell number; `line` is then within that cell. */
  readonly cell?: number;
  readonly line: number;
  /** Set for a layer of a block in an imported module: that file (then `line` is in it). */
  readonly file?: string;
  readonly kind: string;
  readonly fanIn: number | null;
  readonly fanOut: number | null;
  readonly activation: string;
  readonly initializer: string;
  readonly weightVariance: number | null;
  readonly forwardVariance: number | null;
  readonly gradientVariance: number | null;
}

export interface JsonNetwork {
  readonly name: string;
  /** In a notebook: the cell of the network's header; `line` is then within that cell. */
  readonly cell?: number;
  readonly line: number;
  readonly framework: string;
  readonly layers: readonly JsonLayer[];
}

export interface JsonDiagnostic extends JsonRange {
  /** In a notebook: the 1-based cell number (spec/cli.md, Notebooks); positions are within it. */
  readonly cell?: number;
  readonly code: string;
  readonly name: string | null;
  readonly severity: string;
  readonly message: string;
  readonly fixes: readonly {
    readonly title: string;
    readonly applicability: string;
    readonly edits: readonly (JsonRange & { readonly cell?: number; readonly newText: string })[];
  }[];
  readonly related: readonly (JsonRange & { readonly cell?: number; readonly message: string })[];
}

export interface JsonFile {
  readonly path: string;
  readonly networks: readonly JsonNetwork[];
  readonly diagnostics: readonly JsonDiagnostic[];
}

export interface JsonReport {
  readonly version: 1;
  readonly files: readonly JsonFile[];
}

export interface AnalysedFile {
  readonly path: string;
  readonly index: LineIndex;
  /** A notebook's cell positions (cli/notebookView.ts); absent for plain files. */
  readonly locate?: Locate;
  readonly findings: readonly Finding[];
  readonly networks: readonly JsonNetwork[];
}

/** A span in 1-based positions, and its notebook cell when the file is a notebook. */
export type Locate = (span: Span) => JsonRange & { readonly cell?: number };

export function locateIn(index: LineIndex): Locate {
  return (span) => {
    const start = index.positionAt(span.start);
    const end = index.positionAt(span.end);
    return { line: start.line + 1, column: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
  };
}

/** JSON has no Infinity or NaN; a simulated overflow is reported as unknown rather than a fake number. */
const finiteOrNull = (value: number | undefined): number | null => (value !== undefined && Number.isFinite(value) ? value : null);

/** The per-layer numbers of every network, computed where the analysis ran (a worker, or here). */
export function networksJson(index: LineIndex, result: AnalysisResult, locate: Locate = locateIn(index), displayPathOf: (modulePath: string) => string = (p) => p): JsonNetwork[] {
  // The whole span, not its start alone: a statement that begins a cell belongs to that cell.
  const lineOf = (span: Span) => {
    const { cell, line } = locate(span);
    return cell === undefined ? { line } : { cell, line };
  };
  // A layer of a block in an imported module is on its own file's line, and names that file.
  const indexes = new Map<string, LineIndex>();
  const place = (span: Span): { line: number; cell?: number; file?: string } => {
    const at = locateOffset(result, span.start);
    if (at.path === undefined || at.text === undefined) return lineOf(span);
    let own = indexes.get(at.path);
    if (!own) indexes.set(at.path, (own = new LineIndex(at.text)));
    return { line: own.positionAt(at.offset).line + 1, file: displayPathOf(at.path) };
  };
  return result.networks.map((network, n) => {
    const simulation = result.simulations[n];
    return {
      name: network.name,
      ...lineOf(network.span),
      framework: network.framework,
      layers: network.layers.map((layer, i) => {
        const explained = explainLayer(network, layer, simulation?.layers[i]);
        return {
          ...place(layer.span),
          kind: explained.kind,
          fanIn: finiteOrNull(explained.fanIn),
          fanOut: finiteOrNull(explained.fanOut),
          activation: explained.activation,
          initializer: explained.initializer,
          weightVariance: finiteOrNull(explained.weightVariance),
          forwardVariance: finiteOrNull(explained.forwardVariance),
          gradientVariance: finiteOrNull(explained.gradientVariance),
        };
      }),
    };
  });
}

function diagnostic(range: Locate, finding: Finding): JsonDiagnostic {
  const { cell, ...position } = range(finding.span);
  return {
    ...(cell === undefined ? {} : { cell }),
    code: finding.code,
    name: ruleByCode(finding.code)?.meta.name ?? null,
    severity: finding.severity,
    ...position,
    message: finding.message,
    fixes: finding.fixes.map((fix) => ({
      title: fix.title,
      applicability: fix.applicability,
      edits: fix.edits.map((edit) => ({ ...range(edit.span), newText: edit.newText })),
    })),
    related: finding.related.map((related) => ({ ...range(related.span), message: related.message })),
  };
}

export function toJsonReport(files: readonly AnalysedFile[]): JsonReport {
  return {
    version: 1,
    files: files.map((file) => ({
      path: file.path,
      networks: file.networks,
      diagnostics: file.findings.map((finding) => diagnostic(file.locate ?? locateIn(file.index), finding)),
    })),
  };
}

export function renderJson(files: readonly AnalysedFile[]): string {
  return JSON.stringify(toJsonReport(files), null, 2) + '\n';
}
