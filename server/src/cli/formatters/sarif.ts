/**
 * SARIF 2.1.0 (OASIS), the format code-scanning services read (GitHub, Azure DevOps,
 * GitLab). One run; the driver lists every rule with its docs URL so a viewer can link
 * each result to its documentation; fixes are SARIF fixes (replacements per region).
 * Columns are UTF-16 code units, SARIF's default `columnKind`, as everywhere in InitWise.
 * The tests validate the output against the official JSON schema.
 */
import { pathToFileURL } from 'node:url';
import type { Finding, Severity } from '../../core/findings';
import { RULES } from '../../core/rules/registry';
import type { LineIndex } from '../../core/text';
import { ruleDocsUrl } from '../../protocol';
import { locateIn, type Locate } from './json';

export interface SarifFile {
  readonly path: string;
  readonly index: LineIndex;
  readonly findings: readonly Finding[];
  /** A notebook's cell positions: regions are within the cell, named in the result's properties (spec/cli.md). */
  readonly locate?: Locate;
}

const LEVELS: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

function regionOf(located: ReturnType<Locate>) {
  return { startLine: located.line, startColumn: located.column, endLine: located.endLine, endColumn: located.endColumn };
}

/** Relative paths resolve against %SRCROOT% (the working folder); others are file URLs. */
function artifactLocation(path: string) {
  if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) return { uri: pathToFileURL(path).href };
  return { uri: path.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

export function toSarif(files: readonly SarifFile[], version: string, cwd: string): object {
  const ruleIndex = new Map(RULES.map((rule, i) => [rule.meta.code, i]));
  const results = files.flatMap((file) =>
    file.findings.map((finding) => {
      const location = artifactLocation(file.path);
      const locate = file.locate ?? locateIn(file.index);
      const region = (span: Finding['span']) => regionOf(locate(span));
      const cell = locate(finding.span).cell;
      const fixes = finding.fixes
        .filter((fix) => fix.applicability !== 'display-only')
        .map((fix) => ({
          description: { text: `${fix.title} (${fix.applicability})` },
          artifactChanges: [
            {
              artifactLocation: location,
              replacements: fix.edits.map((edit) => ({ deletedRegion: region(edit.span), insertedContent: { text: edit.newText } })),
            },
          ],
          properties: {
            applicability: fix.applicability,
            // Each replacement's region is within its own cell; these are the cells, in the same order.
            ...(cell === undefined ? {} : { cells: fix.edits.map((edit) => locate(edit.span).cell) }),
          },
        }));
      return {
        ruleId: finding.code,
        ...(ruleIndex.has(finding.code) ? { ruleIndex: ruleIndex.get(finding.code) } : {}),
        level: LEVELS[finding.severity],
        message: { text: finding.message },
        locations: [{ physicalLocation: { artifactLocation: location, region: region(finding.span) } }],
        ...(cell === undefined ? {} : { properties: { cell } }),
        ...(finding.related.length > 0
          ? {
              relatedLocations: finding.related.map((related, id) => ({
                id,
                message: { text: related.message },
                physicalLocation: { artifactLocation: location, region: region(related.span) },
                ...(cell === undefined ? {} : { properties: { cell: locate(related.span).cell } }),
              })),
            }
          : {}),
        ...(fixes.length > 0 ? { fixes } : {}),
      };
    }),
  );
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'initwise',
            version,
            informationUri: ruleDocsUrl('README').replace(/\/README\.md$/, ''),
            rules: RULES.map((rule) => ({
              id: rule.meta.code,
              name: rule.meta.name,
              shortDescription: { text: rule.meta.summary },
              helpUri: ruleDocsUrl(rule.meta.code),
              defaultConfiguration: { level: LEVELS[rule.meta.defaultSeverity] },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(cwd.endsWith('/') ? cwd : cwd + '/').href } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

export function renderSarif(files: readonly SarifFile[], version: string, cwd: string): string {
  return JSON.stringify(toSarif(files, version, cwd), null, 2) + '\n';
}
