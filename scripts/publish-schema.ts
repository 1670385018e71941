// Publishes the JSON Schema of scenario files (generated from the zod schema in
// scenarios/schema.ts) to scenarios/scenario.schema.json, where editors find it through the
// `# yaml-language-server: $schema=../scenario.schema.json` line that opens every catalogue file.
// Run it with `npm run schema` after changing the scenario format; a test fails while the
// committed file is stale.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scenarioJsonSchema } from '../scenarios/index.js';

/** Where the schema is published, relative to the repository root. */
export const SCHEMA_FILE = 'scenarios/scenario.schema.json';

/** The exact text of the published file. */
export function scenarioSchemaText(): string {
  const schema = { title: 'Replication lab scenario', ...(scenarioJsonSchema() as Record<string, unknown>) };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function publish(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const target = resolve(root, SCHEMA_FILE);
  writeFileSync(target, scenarioSchemaText());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) publish();
