import type { PythonSupport } from '../core/frontends/types';

/**
 * What the commands need from the process, passed in so the commands can run
 * in-process (tests, benchmarks) as well as from main.ts.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly cwd: string;
  /** Is stdout a terminal (colours on)? */
  readonly isTTY: boolean;
  /** Is stderr a terminal (progress bar for long runs)? */
  readonly stderrIsTTY?: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The Python parser, loaded by main.ts only when Python files are to be read; without it they yield nothing. */
  readonly python?: PythonSupport;
  /** `check` loads the parser through this, only when a Python file is analysed on this thread (a cached result needs none). */
  readonly loadPython?: () => Promise<PythonSupport | undefined>;
}

export const ExitCode = {
  /** No finding at warning or above. */
  Clean: 0,
  /** At least one finding at warning or above. */
  Findings: 1,
  /** Usage error, unreadable path, or an internal error. */
  Error: 2,
} as const;
