/** Shared by the report tests: an example analysed as the hosts do, and an HTML tree to query (parse5). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'parse5';
import { analyze, type AnalysisResult } from '../../server/src/core/analyze';
import { buildSignalReport, type SignalReport } from '../../server/src/core/report/model';
import { LineIndex } from '../../server/src/core/text';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface Analysed {
  readonly text: string;
  readonly result: AnalysisResult;
  readonly reports: SignalReport[];
}

export function analyseText(text: string, band = 100): Analysed {
  const result = analyze({ text, languageId: 'netdef' });
  const index = new LineIndex(text);
  const reports = result.networks.map((network, i) =>
    buildSignalReport(network, result.simulations[i], { band, lineOf: (offset) => index.positionAt(offset).line + 1 }),
  );
  return { text, result, reports };
}

export function analyseExample(name: string): Analysed {
  return analyseText(fs.readFileSync(path.join(ROOT, 'examples', name), 'utf8'));
}

/** A parsed element, reduced to what the tests read. */
export interface El {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly El[];
  /** Concatenated text of the element and its descendants. */
  readonly text: string;
}

interface Parse5Node {
  nodeName: string;
  tagName?: string;
  attrs?: { name: string; value: string }[];
  childNodes?: Parse5Node[];
  content?: Parse5Node;
  value?: string;
}

function convert(node: Parse5Node): El {
  const children = (node.childNodes ?? []).filter((c) => c.tagName !== undefined).map(convert);
  const text = (node.childNodes ?? []).map((c) => (c.nodeName === '#text' ? (c.value ?? '') : c.tagName ? convert(c).text : '')).join('');
  const attrs: Record<string, string> = {};
  for (const a of node.attrs ?? []) attrs[a.name] = a.value;
  return { tag: node.tagName ?? node.nodeName, attrs, children, text };
}

export function parseHtml(html: string): El {
  const document = parse(html) as unknown as Parse5Node;
  return convert(document);
}

export function* elements(root: El): Generator<El> {
  yield root;
  for (const child of root.children) yield* elements(child);
}

export function all(root: El, predicate: (el: El) => boolean): El[] {
  return [...elements(root)].filter(predicate);
}

export function byId(root: El, id: string): El {
  const found = all(root, (el) => el.attrs.id === id);
  if (found.length !== 1) throw new Error(`expected one element with id ${id}, found ${found.length}`);
  return found[0]!;
}

export function hasClass(el: El, name: string): boolean {
  return (el.attrs.class ?? '').split(/\s+/).includes(name);
}
