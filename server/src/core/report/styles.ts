/**
 * The report's stylesheet. Every colour is a VS Code theme variable (a webview defines
 * them for the active theme) with a fallback for the standalone file the CLI writes,
 * one set for light and one for dark (prefers-color-scheme), so the report is readable
 * in both wherever it is opened. No inline style attributes anywhere: the CSP allows
 * only this nonce-carrying <style>.
 */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --iw-fg: var(--vscode-editor-foreground, #1f2328);
  --iw-bg: var(--vscode-editor-background, #ffffff);
  --iw-muted: var(--vscode-descriptionForeground, #59636e);
  --iw-border: var(--vscode-editorWidget-border, var(--vscode-panel-border, #d1d9e0));
  --iw-grid: var(--vscode-editorIndentGuide-background1, var(--vscode-editorIndentGuide-background, #e4e8ec));
  --iw-current: var(--vscode-charts-orange, #bc4c00);
  --iw-recommended: var(--vscode-charts-blue, #0969da);
  --iw-allowed: var(--vscode-charts-green, #1a7f37);
  --iw-warn: var(--vscode-editorWarning-foreground, #9a6700);
  --iw-code-bg: var(--vscode-textCodeBlock-background, #f6f8fa);
}
@media (prefers-color-scheme: dark) {
  :root {
    --iw-fg: var(--vscode-editor-foreground, #e6edf3);
    --iw-bg: var(--vscode-editor-background, #0d1117);
    --iw-muted: var(--vscode-descriptionForeground, #9198a1);
    --iw-border: var(--vscode-editorWidget-border, var(--vscode-panel-border, #3d444d));
    --iw-grid: var(--vscode-editorIndentGuide-background1, var(--vscode-editorIndentGuide-background, #262c36));
    --iw-current: var(--vscode-charts-orange, #f0883e);
    --iw-recommended: var(--vscode-charts-blue, #58a6ff);
    --iw-allowed: var(--vscode-charts-green, #3fb950);
    --iw-warn: var(--vscode-editorWarning-foreground, #d29922);
    --iw-code-bg: var(--vscode-textCodeBlock-background, #161b22);
  }
}
body {
  margin: 0 auto;
  padding: 16px 24px 32px;
  max-width: 1100px;
  color: var(--iw-fg);
  background: var(--iw-bg);
  font-family: var(--vscode-font-family, system-ui, -apple-system, "Segoe UI", sans-serif);
  font-size: var(--vscode-font-size, 14px);
  line-height: 1.45;
}
h1 { font-size: 1.4em; margin: 0.2em 0; }
section.network + section.network { margin-top: 2.5em; border-top: 1px solid var(--iw-border); padding-top: 1em; }
h2 { font-size: 1.1em; margin: 1.4em 0 0.4em; }
code { font-family: var(--vscode-editor-font-family, ui-monospace, Menlo, Consolas, monospace); background: var(--iw-code-bg); padding: 0 0.25em; border-radius: 3px; }
.meta, .note, figcaption { color: var(--iw-muted); }
.summary { font-size: 1.05em; }
.summary .exit { color: var(--iw-warn); }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
figure { margin: 0; }
svg.plot { width: 100%; height: auto; display: block; font-size: 14px; }
svg .frame { fill: none; stroke: var(--iw-border); }
svg .grid { stroke: var(--iw-grid); stroke-width: 1; }
svg .tick, svg .axis-label, svg .legend-label { fill: var(--iw-muted); }
svg .legend-label { fill: var(--iw-fg); }
svg .allowed { fill: var(--iw-allowed); fill-opacity: 0.12; stroke: var(--iw-allowed); stroke-opacity: 0.35; stroke-dasharray: 4 3; }
svg .curve { fill: none; stroke-width: 2; }
svg .curve.current { stroke: var(--iw-current); }
svg .curve.recommended { stroke: var(--iw-recommended); stroke-dasharray: 6 3; }
svg .spread { stroke: none; fill-opacity: 0.2; }
svg .spread.current { fill: var(--iw-current); }
svg .spread.recommended { fill: var(--iw-recommended); }
svg .point.current { fill: var(--iw-current); }
svg .point.recommended { fill: var(--iw-recommended); }
svg .point.branch { fill: var(--iw-bg); stroke-width: 1.5; }
svg .point.branch.current { stroke: var(--iw-current); }
svg .point.branch.recommended { stroke: var(--iw-recommended); }
/* Side by side with the editor the panel is narrow (issue 13): long cells wrap so the table fits,
   and what still does not fit scrolls inside a box no taller than the view, so its scrollbars are on screen
   and always drawn (webviews hide overlay ones); the header row stays visible. */
.table-wrap { overflow: auto; max-height: 80vh; scrollbar-gutter: stable; border: 1px solid var(--iw-border); border-radius: 3px; }
.table-wrap::-webkit-scrollbar { width: 10px; }
.table-wrap thead th { position: sticky; top: 0; background: var(--iw-bg); }
.table-wrap::-webkit-scrollbar { height: 10px; }
.table-wrap::-webkit-scrollbar-thumb { background: var(--vscode-scrollbarSlider-background, rgba(100, 100, 100, 0.5)); border-radius: 5px; }
.table-wrap::-webkit-scrollbar-track { background: var(--iw-code-bg); }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { padding: 3px 6px; border-bottom: 1px solid var(--iw-border); text-align: left; vertical-align: top; }
th { font-weight: 600; }
td code { white-space: normal; overflow-wrap: anywhere; }
/* The init and recommended-init columns: wide enough that a name breaks at most once or twice. */
#layers td:nth-child(6), #layers td:nth-child(12), table[id$="-layers"] td:nth-child(6), table[id$="-layers"] td:nth-child(12) { min-width: 16ch; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .spread { display: block; font-size: 0.85em; color: var(--iw-muted); }
tr.exit td { background: color-mix(in srgb, var(--iw-warn) 12%, transparent); }
.changed { color: var(--iw-recommended); }
`;
