// Option-value parsers: what they accept, and that they reject with commander's error type
// (which main.ts maps to exit code 2).
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { nonNegativeInteger, positiveInteger } from '../../cli/commands/parse.js';

describe('option parsers', () => {
  it('positiveInteger accepts 1 and up, and rejects everything else naming the option', () => {
    const parse = positiveInteger('--repeat');
    expect(parse('1')).toBe(1);
    expect(parse('250')).toBe(250);
    for (const bad of ['0', '-1', '1.5', '1e3', 'x', '', '9007199254740993']) {
      expect(() => parse(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => parse('x')).toThrow('--repeat must be a positive integer.');
  });

  it('nonNegativeInteger also accepts 0', () => {
    const parse = nonNegativeInteger('--seed');
    expect(parse('0')).toBe(0);
    expect(parse('42')).toBe(42);
    for (const bad of ['-1', '0.5', 'seed', '']) expect(() => parse(bad), bad).toThrow(InvalidArgumentError);
  });
});
