/** Test access to ../shared (laid beside the clone by CI): specs, reference tables, the oracle. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SHARED_DIR = path.resolve(__dirname, '..', '..', '..', 'shared');

export function readShared<T>(relative: string): T {
  const file = path.join(SHARED_DIR, relative);
  if (!fs.existsSync(file)) throw new Error(`missing ${file}: the tests read ../shared beside the checkout`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
