/**
 * Which Python parser the CLI loads (issue 16): the native tree-sitter binding
 * (host/nativeTreeSitter.ts) where it is installed and loads, else web-tree-sitter
 * (host/treeSitter.ts), the extension's and the language server's parser. Both give the
 * same results (test/frontends/python.parserLoaders.test.ts), so the fallback is silent:
 * `INITWISE_DEBUG=parser` prints which one a thread loaded and why the native one did not.
 * `INITWISE_PARSER=wasm` forces web-tree-sitter (the tests of the fallback use it), and
 * `INITWISE_PARSER=native` refuses the fallback (a failure leaves Python files unanalysed
 * and says so).
 */
import type { PythonSupport } from '../core/frontends/types';
import { loadNativePythonSupport } from '../host/nativeTreeSitter';
import { loadPythonSupport } from '../host/treeSitter';

export type ParserLoader = 'native' | 'wasm';

export interface LoadedParser {
  readonly support: PythonSupport;
  readonly loader: ParserLoader;
  /** Why the native parser was not used, when it was not. */
  readonly fallbackReason?: string;
}

/** The loader `INITWISE_PARSER` asks for: undefined lets the CLI choose (native, else wasm). */
function requestedLoader(env: NodeJS.ProcessEnv): ParserLoader | undefined {
  const value = env['INITWISE_PARSER']?.trim().toLowerCase();
  if (value === 'native' || value === 'wasm') return value;
  if (value === undefined || value === '' || value === 'auto') return undefined;
  throw new Error(`INITWISE_PARSER must be native, wasm or auto, not "${env['INITWISE_PARSER']}"`);
}

/** Loads this thread's Python parser; rejects only when none can be loaded. */
export async function loadCliPythonParser(env: NodeJS.ProcessEnv = process.env): Promise<LoadedParser> {
  const requested = requestedLoader(env);
  let loaded: LoadedParser;
  if (requested === 'wasm') {
    loaded = { support: await loadPythonSupport(), loader: 'wasm', fallbackReason: 'INITWISE_PARSER=wasm' };
  } else {
    try {
      loaded = { support: loadNativePythonSupport(), loader: 'native' };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      if (requested === 'native') throw new Error(`the native tree-sitter binding did not load (INITWISE_PARSER=native): ${reason}`);
      loaded = { support: await loadPythonSupport(), loader: 'wasm', fallbackReason: reason };
    }
  }
  if (/(^|,)\s*parser\s*(,|$)/.test(env['INITWISE_DEBUG'] ?? '')) process.stderr.write(`${describeParser(loaded)}\n`);
  return loaded;
}

/** One line naming the loader (INITWISE_DEBUG=parser). */
export function describeParser(loaded: LoadedParser): string {
  return loaded.loader === 'native'
    ? 'initwise: Python parser: native tree-sitter binding'
    : `initwise: Python parser: web-tree-sitter (WebAssembly)${loaded.fallbackReason ? `; native binding not used: ${loaded.fallbackReason}` : ''}`;
}
