/** Helpers for the Python frontend tests: analyse a snippet, read its layers by kind and position. */
import { analyze, type AnalysisResult } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import type { WeightLayer } from '../../server/src/core/ir';
import { pythonSupport } from '../support/python';

let loaded: PythonSupport | undefined;

/** Call from a `before` hook: the parser's WebAssembly compiles asynchronously. */
export async function loadPython(): Promise<void> {
  loaded = await pythonSupport();
}

export function python(): PythonSupport {
  if (!loaded) throw new Error('call loadPython() in a before hook first');
  return loaded;
}

export function analyzePython(text: string): AnalysisResult {
  return analyze({ text, languageId: 'python', python: python() });
}

/** `relu`, `linear`, `unknown`: the activation a layer's output feeds. */
export function consumerOf(layer: WeightLayer): string {
  return layer.consumer === 'unknown' ? 'unknown' : layer.consumer.name;
}

export function codes(result: AnalysisResult): string[] {
  return result.findings.map((f) => f.code).filter((c) => !c.startsWith('IW2'));
}
