/**
 * Module paths as the engine sees them: '/'-separated strings the host chose (absolute on
 * POSIX, or with a drive on Windows written with '/'). The engine reads no file system; it
 * only joins and splits these strings and asks the host's provider what lies at a path.
 */

export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return '';
  return slash === 0 ? '/' : path.slice(0, slash);
}

export function joinPath(dir: string, ...parts: string[]): string {
  let out = dir;
  for (const part of parts) {
    if (part === '') continue;
    out = out === '' ? part : out.endsWith('/') ? out + part : `${out}/${part}`;
  }
  return normalizePath(out);
}

/** Removes `.` and `..` segments and repeated slashes. */
export function normalizePath(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(segment);
  }
  return (absolute ? '/' : '') + out.join('/');
}

/** True when `path` is `dir` or lies below it. */
export function isInside(path: string, dir: string): boolean {
  const d = dir.endsWith('/') ? dir : `${dir}/`;
  return path === dir || path.startsWith(d);
}
