import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunRecord, RunSummary } from '../../model/index.js';
import { toJunit } from '../../reports/index.js';

const FIXTURES = new URL('../fixtures/run-records/', import.meta.url);
const runs: RunRecord[] = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as RunRecord);
const byVerdict = (verdict: RunRecord['verdict']) => runs.find((run) => run.verdict === verdict)!;

/**
 * A small well-formedness check: tags nest and close, attribute values and text hold no raw
 * markup, and every ampersand starts a predefined entity. Returns the elements by name.
 */
function parseXml(xml: string): Map<string, Array<{ attributes: Record<string, string>; text: string }>> {
  const elements = new Map<string, Array<{ attributes: Record<string, string>; text: string }>>();
  const body = xml.replace(/^<\?xml [^?]*\?>\n/, '');
  const stack: Array<{ name: string; attributes: Record<string, string>; start: number }> = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let match = tag.exec(body); match !== null; match = tag.exec(body)) {
    const between = body.slice(last, match.index);
    expect(between, `text before ${match[0]}`).not.toMatch(/[<>]/);
    expect(between.replace(/&(amp|lt|gt|quot|apos|#39);/g, '')).not.toContain('&');
    last = tag.lastIndex;
    const [, closing, name, attributeText, selfClosing] = match;
    if (closing) {
      const open = stack.pop();
      expect(open?.name, `closing ${name}`).toBe(name);
      const list = elements.get(name) ?? [];
      list.push({ attributes: open!.attributes, text: body.slice(open!.start, match.index) });
      elements.set(name, list);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of attributeText.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      expect(value.replace(/&(amp|lt|gt|quot|apos|#39);/g, '')).not.toMatch(/[&<]/);
      attributes[key] = value;
    }
    if (selfClosing) elements.set(name, [...(elements.get(name) ?? []), { attributes, text: '' }]);
    else stack.push({ name, attributes, start: tag.lastIndex });
  }
  expect(stack).toEqual([]);
  expect(body.slice(last).trim()).toBe('');
  return elements;
}

describe('toJunit', () => {
  const summary: RunSummary = { runs, passed: 1, failed: 2 };
  const xml = toJunit(summary);
  const elements = parseXml(xml);

  it('has one testcase per scenario and seed, named "scenario [seed N]" with the scenario as classname', () => {
    const cases = elements.get('testcase')!;
    expect(cases).toHaveLength(runs.length);
    expect(cases.map((c) => c.attributes.name).sort()).toEqual(runs.map((run) => `${run.scenario} [seed ${run.seed}]`).sort());
    for (const testcase of cases) expect(testcase.attributes.name.startsWith(`${testcase.attributes.classname} [seed `)).toBe(true);
  });

  it('counts tests and failures on the root and on each suite', () => {
    const root = elements.get('testsuites')![0].attributes;
    expect(root).toMatchObject({ tests: '3', failures: '2', errors: '0' });
    expect(elements.get('testsuite')).toHaveLength(3);
    expect(elements.get('failure')).toHaveLength(2);
    expect(elements.get('error')).toBeUndefined();
  });

  it('puts the violations and the replay command in the failure', () => {
    const run = byVerdict('correctness');
    const failure = elements.get('failure')!.find((f) => f.text.includes(run.replay))!;
    expect(failure.attributes.type).toBe('correctness');
    expect(failure.attributes.message).toContain(run.violations[0].invariant);
    expect(failure.attributes.message).toContain('(+1 more)');
    for (const violation of run.violations) expect(failure.text).toContain(`[${violation.invariant}] ${violation.item}`);
    expect(failure.text).toContain('shrunk timeline:');
    expect(failure.text).toContain('first divergent event:');
  });

  it('groups seeds of one scenario into one suite and reports a crash as an error', () => {
    const pass = byVerdict('pass');
    const crash: RunRecord = { ...pass, seed: 8, verdict: 'crash', violations: [], diagnosis: { crash: 'TypeError: x is undefined\n    at apply (engine/apply.ts:12:3)' } };
    const grouped = parseXml(toJunit({ runs: [pass, crash], passed: 1, failed: 1 }));
    expect(grouped.get('testsuite')).toHaveLength(1);
    expect(grouped.get('testsuite')![0].attributes).toMatchObject({ tests: '2', failures: '0', errors: '1' });
    const error = grouped.get('error')![0];
    expect(error.attributes.message).toBe('crash: TypeError: x is undefined');
    expect(error.text).toContain('at apply (engine/apply.ts:12:3)');
  });

  it('escapes markup and control characters in names, messages and output', () => {
    const hostile: RunRecord = {
      ...byVerdict('correctness'),
      scenario: 'a<b & "c" \'d\'',
      replay: 'npx lab run "a<b.yaml" --seed 1 && echo ]]>',
      violations: [{ invariant: 'expectation', item: 'vm<1>', atSeconds: 1, message: 'bad\u0007byte & <tag>\nsecond line' }],
    };
    const hostileXml = toJunit({ runs: [hostile], passed: 0, failed: 1 });
    const parsed = parseXml(hostileXml);
    expect(parsed.get('testcase')![0].attributes.name).toBe('a&lt;b &amp; &quot;c&quot; &#39;d&#39; [seed 1234]');
    expect(hostileXml).not.toContain('\u0007');
    expect(parsed.get('failure')![0].attributes.message).not.toContain('\n');
    expect(parsed.get('failure')![0].text).toContain('&lt;tag&gt;');
  });
});
