/** What a Python analysis needs to read the document's workspace (AnalysisInput.workspace). */
import type { ModuleCache } from './moduleCache';
import type { ModuleSourceProvider } from './source';

export interface PythonWorkspace {
  /** The analysed document's path ('/'-separated). */
  readonly documentPath: string;
  /**
   * The project's roots (workspace folders; the CLI's project root): absolute imports are
   * looked up there, in their `src/`, and where their pyproject.toml puts packages.
   */
  readonly projectRoots: readonly string[];
  readonly sources: ModuleSourceProvider;
  /** Parsed modules kept between analyses (the host keeps one per process or worker thread). */
  readonly modules: ModuleCache;
}
