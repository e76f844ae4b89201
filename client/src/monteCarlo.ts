/**
 * *Run Monte-Carlo Simulation*: asks the server to draw the active file's networks at
 * their real widths and run them (protocol.ts, RUN_MONTE_CARLO_REQUEST). Progress comes
 * back as LSP work-done progress and shows in a notification whose Cancel button cancels
 * the request (the server then stops its worker). Until the next edit, the server's
 * diagnostics, hover, code lens and signal report use the measured numbers.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import { RUN_MONTE_CARLO_REQUEST, type RunMonteCarloParams, type RunMonteCarloResult } from '../../server/src/protocol';
import { activeServedDocument } from './documents';

export async function runMonteCarlo(client: LanguageClient | undefined, uriArgument?: unknown, networkArgument?: unknown): Promise<void> {
  const uri = typeof uriArgument === 'string' ? uriArgument : activeServedDocument('simulate its networks')?.uri.toString();
  if (!uri) return;
  if (!client?.isRunning()) {
    void vscode.window.showErrorMessage('InitWise: the language server is not running. See the InitWise output, or run "InitWise: Restart Server".');
    return;
  }
  const network = typeof networkArgument === 'string' ? networkArgument : undefined;
  const progressToken = `initwise-montecarlo-${randomUUID()}`;
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'InitWise: Monte-Carlo simulation', cancellable: true },
    async (progress, cancellation) => {
      let reported = 0;
      const subscription = client.onProgress(WorkDoneProgress.type, progressToken, (value) => {
        if (value.kind === 'end') return;
        const percentage = value.percentage;
        // withProgress takes increments; the server reports absolute percentages.
        progress.report({
          ...(value.message !== undefined ? { message: value.message } : {}),
          ...(percentage !== undefined ? { increment: Math.max(0, percentage - reported) } : {}),
        });
        if (percentage !== undefined) reported = Math.max(reported, percentage);
      });
      try {
        const params: RunMonteCarloParams = { uri, workDoneToken: progressToken, ...(network !== undefined ? { network } : {}) };
        const result = await client.sendRequest<RunMonteCarloResult>(RUN_MONTE_CARLO_REQUEST, params, cancellation);
        void vscode.window.showInformationMessage(describe(result));
      } catch (error) {
        if (cancellation.isCancellationRequested) return;
        const detail = error instanceof Error ? error.message : String(error);
        void vscode.window.showErrorMessage(`InitWise: the Monte-Carlo simulation failed: ${detail}`);
      } finally {
        subscription.dispose();
      }
    },
  );
}

function describe(result: RunMonteCarloResult): string {
  const simulated = result.networks.filter((n) => n.simulated);
  const skipped = result.networks.filter((n) => !n.simulated).map((n) => (n.reason ? `${n.name} (${n.reason})` : n.name));
  if (simulated.length === 0) {
    return `InitWise: no network could be simulated${skipped.length > 0 ? `: ${skipped.join('; ')}` : ''}; the mean-field numbers stay.`;
  }
  const seconds = simulated.reduce((total, n) => total + n.durationMs, 0) / 1000;
  const names = simulated.map((n) => n.name).join(', ');
  const rest = skipped.length > 0 ? ` Not simulated: ${skipped.join('; ')}.` : '';
  return `InitWise: Monte-Carlo done for ${names} in ${seconds.toFixed(1)} s; diagnostics, hover, code lens and report use it until the next edit.${rest}`;
}
