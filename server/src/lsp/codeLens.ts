/**
 * One code lens above each network's header: the depth-caused drift of the signal and
 * of the gradients ("signal ×1.7e-15 over 20 layers · gradients ×3.2e-10 · Show report"),
 * running the client's Show report command. A network only Monte-Carlo simulates (copied
 * blocks, Network.monteCarloOnly) gets a lens that runs it for that network until it has run.
 * A network that cannot be simulated gets a lens saying why and no command: an empty command id is how LSP clients (VS Code
 * among them) show a lens as plain, unclickable text.
 */
import type { CodeLens } from 'vscode-languageserver/node';
import { networkSummary } from '../core/report/summary';
import { CLIENT_COMMANDS, SHOW_SIGNAL_REPORT_COMMAND } from '../protocol';
import type { DocumentAnalysis } from './analysisCache';

/** `uri`: the document asking (in a notebook, the cell: each network's lens sits on the cell that defines or instantiates it). */
export function codeLenses(analysis: DocumentAnalysis, band: number, uri: string = analysis.uri): CodeLens[] {
  const { networks, simulations } = analysis.result;
  return networks.flatMap((network, i) => {
    const located = analysis.map.location({ start: network.span.start, end: Math.max(network.span.start, network.nameSpan.end) });
    if (!located || located.uri !== uri) return [];
    const range = located.range;
    const summary = networkSummary(network, simulations[i], band);
    // Only Monte-Carlo simulates it (copied blocks): the lens runs it for this network.
    if (summary.monteCarloOnly) return { range, command: { title: `${summary.text} · Run Monte-Carlo`, command: CLIENT_COMMANDS.runMonteCarlo, arguments: [uri, network.name] } };
    if (!summary.simulated) return { range, command: { title: summary.text, command: '' } };
    return {
      range,
      command: {
        title: `${summary.text} · Show report`,
        command: SHOW_SIGNAL_REPORT_COMMAND,
        arguments: [uri, network.name],
      },
    };
  });
}
