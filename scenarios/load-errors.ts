// Turning YAML syntax errors and schema issues into messages a person can act on: file, line
// and column, the field path, the allowed values, and the near miss of a misspelled key.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { nearMiss } from '../model/index.js';

export interface InputError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

export function formatInputError(error: InputError): string {
  return `${error.file}:${error.line}:${error.column}  ${error.path === '' ? '' : `${error.path}: `}${error.message}`;
}

export class InputErrors extends Error {
  override readonly name = 'InputErrors';
  constructor(readonly errors: readonly InputError[]) {
    super(errors.map(formatInputError).join('\n'));
  }
}

export interface ParsedYaml {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly value: unknown;
}

/** Parses YAML text; throws InputErrors for syntax errors. */
export function parseYaml(file: string, text: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputErrors(
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { file, line, column: col, path: '', message: `YAML ${e.code}: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  return { file, doc, lines, value: doc.toJS() };
}

/** Validates parsed YAML with a zod schema; throws InputErrors naming where each issue is. */
export function validateYaml<S extends z.ZodType>(parsed: ParsedYaml, schema: S): z.output<S> {
  const result = schema.safeParse(parsed.value);
  if (result.success) return result.data;
  throw new InputErrors(result.error.issues.map((issue) => issueToError(parsed, issue, schema)));
}

function issueToError(parsed: ParsedYaml, original: z.core.$ZodIssue, schema: z.ZodType): InputError {
  const issue = settleUnion(original);
  const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  let message = issue.message;
  let node = nodeAt(parsed.doc, path);
  const value = valueAt(parsed.value, path);
  if (issue.code === 'unrecognized_keys') {
    const container = node.node;
    const key = issue.keys[0];
    const allowed = keysAt(schema, path);
    message = `unknown key "${key}"${nearMiss(key, allowed)}${allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''}`;
    if (isMap(container)) {
      const pair = container.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (pair !== undefined && isScalar(pair.key) && pair.key.range) node = { node: pair.key, exact: true };
    }
  } else if (value === undefined && path.length > 0) {
    message = `missing required field "${path[path.length - 1]}"`;
  } else if (issue.code === 'invalid_value') {
    const allowed = issue.values.map(String);
    message = `${JSON.stringify(value)} is not allowed here: expected one of ${allowed.join(', ')}${typeof value === 'string' ? nearMiss(value, allowed) : ''}`;
  } else if (issue.code === 'invalid_union') {
    const expected = [...new Set(issue.errors.flat().flatMap((inner) => (inner.code === 'invalid_type' ? [inner.expected] : [])))];
    if (expected.length > 0) message = `expected ${expected.join(' or ')}, got ${describeValue(value)}`;
  } else if (issue.code === 'invalid_type') {
    message = `expected ${issue.expected}, got ${describeValue(value)}`;
  }
  const offset = node.node?.range?.[0] ?? 0;
  const { line, col } = parsed.lines.linePos(offset);
  return { file: parsed.file, line, column: col, path: path.join('.'), message };
}

/** A union (a VM list or a fleet; an operation, a fault or a plan event) reports the issues of
 *  every option. The option the author meant is the one that fits best: not rejected outright
 *  for its type, then the fewest issues, then the issue deepest into the value. */
function settleUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  const fits = issue.errors.filter((option) => option.length > 0 && !option.every((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
  if (fits.length === 0) return issue;
  const depth = (option: readonly z.core.$ZodIssue[]) => Math.max(...option.map((inner) => inner.path.length));
  const best = [...fits].sort((a, b) => a.length - b.length || depth(b) - depth(a))[0];
  const inner = [...best].sort((a, b) => b.path.length - a.path.length)[0];
  return settleUnion({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue);
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  innerType?: { _zod: { def: SchemaDef } };
  in?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  options?: Array<{ _zod: { def: SchemaDef } }>;
}

/** The keys an object schema allows at `path` (unions contribute the keys of every option). */
export function keysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  const keys = new Set<string>();
  const visit = (def: SchemaDef, rest: readonly (string | number)[]): void => {
    switch (def.type) {
      case 'default':
      case 'optional':
      case 'nullable':
      case 'prefault':
        return visit(def.innerType!._zod.def, rest);
      case 'pipe':
        return visit(def.in!._zod.def, rest);
      case 'union':
        for (const option of def.options ?? []) visit(option._zod.def, rest);
        return;
      case 'array':
        if (rest.length > 0) visit(def.element!._zod.def, rest.slice(1));
        return;
      case 'object':
        if (rest.length === 0) for (const key of Object.keys(def.shape ?? {})) keys.add(key);
        else if (def.shape?.[String(rest[0])] !== undefined) visit(def.shape[String(rest[0])]._zod.def, rest.slice(1));
        return;
      default:
        return;
    }
  };
  visit((schema as unknown as { _zod: { def: SchemaDef } })._zod.def, path);
  return [...keys];
}

/** The deepest node that exists along `path` (a missing key reports its parent). */
function nodeAt(doc: Document, path: readonly (string | number)[]): { node: Node | null; exact: boolean } {
  let node = doc.contents as Node | null;
  for (const segment of path) {
    if (node === null) return { node, exact: false };
    let next: unknown = undefined;
    if (isMap(node) || isSeq(node)) next = node.get(segment, true);
    if (next === undefined || next === null) return { node, exact: false };
    node = next as Node;
  }
  return { node, exact: true };
}

/** An error at a path of a parsed file (for semantic checks after the schema passed). */
export function errorAt(parsed: ParsedYaml, path: readonly (string | number)[], message: string): InputError {
  const { node } = nodeAt(parsed.doc, path);
  const { line, col } = parsed.lines.linePos(node?.range?.[0] ?? 0);
  return { file: parsed.file, line, column: col, path: path.join('.'), message };
}
