// The JSON Schema editors use (scenarios/scenario.schema.json) must be the one the zod schema
// generates today: a stale file would complete and accept fields the loader rejects.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, scenarioSchemaText } from '../../scripts/publish-schema.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('published scenario JSON Schema', () => {
  it('is up to date (run `npm run schema` after changing scenarios/schema.ts)', () => {
    expect(readFileSync(`${repoRoot}/${SCHEMA_FILE}`, 'utf8')).toBe(scenarioSchemaText());
  });

  it('describes the scenario format: required fields, closed objects, the operations', () => {
    const schema = JSON.parse(scenarioSchemaText()) as { required: string[]; additionalProperties: boolean; properties: Record<string, unknown> };
    expect(schema.required).toEqual(['name', 'description', 'duration', 'vms']);
    expect(schema.additionalProperties).toBe(false);
    expect(JSON.stringify(schema.properties.timeline)).toContain('"unplanned-failover"');
    expect(JSON.stringify(schema.properties.policy)).toContain('"15m"');
  });
});
