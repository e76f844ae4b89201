/**
 * Code actions, built without server-side state from what each diagnostic carries in
 * `data` (its fixes and the document version they were computed for). A request whose
 * diagnostics belong to an older version gets nothing: the editor asks again once the
 * fresh diagnostics arrive, and a stale edit is never applied.
 */
import {
  CodeActionKind,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { DIAGNOSTIC_SOURCE, FIX_ALL_KIND, SERVER_COMMANDS, isDiagnosticData, type WireFix, type WireTextEdit } from '../protocol';

export interface CodeActionContextInfo {
  readonly uri: string;
  /** The document's version now (for a notebook cell: the session's revision of its notebook, as in `data.version`). */
  readonly version: number;
  /**
   * The version a versioned edit names for a document it touches (a notebook fix may touch
   * another cell); default: `version` for `uri`.
   */
  readonly versionOf?: (uri: string) => number | undefined;
  /** Whether the client applies versioned `documentChanges` (then a stale edit is refused by the client too). */
  readonly supportsDocumentChanges: boolean;
  /**
   * Fixes for a diagnostic that came back without `data` (some clients drop it),
   * found by code and range in an analysis of the current version.
   */
  readonly fixesFromCurrentAnalysis: (diagnostic: Diagnostic) => WireFix[];
  /** The safe, non-overlapping fix-all edits for the current version (computed lazily). */
  readonly fixAllEdits: () => WireTextEdit[];
  /**
   * The same for one rule's findings; empty unless at least two of them have a safe fix
   * (for one, "fix all" would only repeat that finding's own fix).
   */
  readonly fixAllEditsForRule: (code: string) => WireTextEdit[];
}

export function codeActions(params: CodeActionParams, info: CodeActionContextInfo): CodeAction[] {
  const ours = params.context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
  const stale = ours.some((d) => isDiagnosticData(d.data) && d.data.version !== info.version);
  if (stale) return [];

  const actions: CodeAction[] = [];
  const only = params.context.only;

  if (kindRequested(only, CodeActionKind.QuickFix)) {
    // Grouped per rule (the menu lists one rule's fixes together), each group closed by
    // "Fix all IWxxx in file" when the rule has more than one safely fixable finding.
    const byRule = [...ours].sort((a, b) => ruleOf(a).localeCompare(ruleOf(b)));
    // Two findings offering the same edits (IW201 and IW203 both switching the network's
    // inits) make one menu entry that names both diagnostics (issue 13, item 8).
    const byEdits = new Map<string, CodeAction>();
    for (const [i, diagnostic] of byRule.entries()) {
      const fixes = isDiagnosticData(diagnostic.data) ? diagnostic.data.fixes : info.fixesFromCurrentAnalysis(diagnostic);
      const preferred = fixes.find((fix) => fix.applicability === 'safe');
      for (const fix of fixes) {
        const key = JSON.stringify(fix.edits);
        const same = byEdits.get(key);
        if (same) {
          same.diagnostics = [...(same.diagnostics ?? []), diagnostic];
          continue;
        }
        byEdits.set(key, actions[actions.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          isPreferred: fix === preferred,
          edit: workspaceEdit(info, fix.edits),
        }) - 1]!);
      }
      const code = typeof diagnostic.code === 'string' ? diagnostic.code : undefined;
      if (code) {
        actions.push({
          title: `Show docs for ${code}`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          command: { title: `Show docs for ${code}`, command: SERVER_COMMANDS.openRuleDocs, arguments: [code] },
        });
      }
      const lastOfRule = code !== undefined && (i === byRule.length - 1 || ruleOf(byRule[i + 1]!) !== code);
      if (lastOfRule) {
        const edits = info.fixAllEditsForRule(code);
        if (edits.length > 0) {
          actions.push({
            title: `Fix all ${code} in file (safe fixes)`,
            kind: CodeActionKind.QuickFix,
            diagnostics: byRule.filter((d) => ruleOf(d) === code),
            edit: workspaceEdit(info, edits),
          });
        }
      }
    }
  }

  // Fix-all is a source action: VS Code lists it under "Source Action…" and runs it on save
  // when `editor.codeActionsOnSave` asks for source.fixAll; it is offered only when it would do something.
  if (kindRequested(only, FIX_ALL_KIND)) {
    const edits = info.fixAllEdits();
    if (edits.length > 0) {
      actions.push({
        title: 'Fix all safe InitWise fixes in file',
        kind: FIX_ALL_KIND,
        edit: workspaceEdit(info, edits),
      });
    }
  }
  return actions;
}

function ruleOf(diagnostic: Diagnostic): string {
  return typeof diagnostic.code === 'string' ? diagnostic.code : '';
}

/**
 * Code action kinds are hierarchical: a request for `source.fixAll` or `source` also
 * wants `source.fixAll.initwise`. No `only` means every kind.
 */
export function kindRequested(only: readonly string[] | undefined, kind: string): boolean {
  if (only === undefined || only.length === 0) return true;
  return only.some((requested) => kind === requested || kind.startsWith(`${requested}.`));
}

/** The edits per document (an edit's own `uri`, else the request's), versioned when the client supports it. */
function workspaceEdit(info: CodeActionContextInfo, edits: readonly WireTextEdit[]): WorkspaceEdit {
  const byUri = new Map<string, TextEdit[]>();
  for (const { uri, range, newText } of edits) {
    const target = uri ?? info.uri;
    const list = byUri.get(target) ?? [];
    list.push({ range, newText });
    byUri.set(target, list);
  }
  if (info.supportsDocumentChanges) {
    const versionOf = (uri: string) => (info.versionOf ? info.versionOf(uri) : uri === info.uri ? info.version : undefined) ?? null;
    return { documentChanges: [...byUri].map(([uri, list]) => ({ textDocument: { uri, version: versionOf(uri) }, edits: list })) };
  }
  return { changes: Object.fromEntries(byUri) };
}
