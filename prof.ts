import * as fs from 'node:fs';
import { analyze } from '/work/wt-workspace/server/src/core/analyze';
import { loadPythonSupport } from '/work/wt-workspace/server/src/host/treeSitter';
import { ThreadWorkspace } from '/work/wt-workspace/server/src/host/workspaceFiles';
void (async () => {
  const python = await loadPythonSupport();
  const ws = new ThreadWorkspace();
  const file = process.argv[2]!;
  const text = fs.readFileSync(file, 'utf8');
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    const a = analyze({ text, languageId: 'python', python });
    const t1 = performance.now() - t;
    t = performance.now();
    const b = analyze({ text, languageId: 'python', python: { ...python, workspace: ws.forDocument(file, [process.cwd()]) } });
    const t2 = performance.now() - t;
    console.log(`alone ${t1.toFixed(0)}ms  workspace ${t2.toFixed(0)}ms  modules ${b.modules.length} deps ${b.dependencies.length} parses ${ws.modules.parses} findings ${a.findings.length}/${b.findings.length}`);
  }
  const b = analyze({ text, languageId: 'python', python: { ...python, workspace: ws.forDocument(file, [process.cwd()]) } });
  console.log(b.modules.map((m) => m.path + ' ' + m.text.length).join('\n'));
})();
