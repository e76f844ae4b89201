/**
 * Test access to the reference data committed in test/reference/ (copied from the project's
 * shared reference material; test/reference/README.md says where each file came from and how it
 * was measured). The tests need nothing beside the checkout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REFERENCE_DIR = path.resolve(__dirname, '..', 'reference');

export function readReference<T>(relative: string): T {
  const file = path.join(REFERENCE_DIR, relative);
  if (!fs.existsSync(file)) throw new Error(`missing ${file}: the reference data lives in test/reference/`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
