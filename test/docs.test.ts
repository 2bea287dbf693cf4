import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReference } from '../scripts/generate-docs';

describe('docs/reference.md', () => {
  it('is generated from the current specs (run `npm run docs` after changing a spec)', () => {
    const committed = readFileSync(resolve(__dirname, '../docs/reference.md'), 'utf8');
    expect(committed).toBe(renderReference());
  });
});
