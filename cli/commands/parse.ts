// Option-value parsers shared by the commands. Each throws commander's InvalidArgumentError, which
// main.ts reports as one line with exit code 2.
import { InvalidArgumentError } from 'commander';

/** A parser for an option whose value is an integer >= 1. */
export function positiveInteger(optionName: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
      throw new InvalidArgumentError(`${optionName} must be a positive integer.`);
    }
    return value;
  };
}

/** A parser for an option whose value is an integer >= 0 (seeds, counts that may be zero). */
export function nonNegativeInteger(optionName: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value)) {
      throw new InvalidArgumentError(`${optionName} must be a non-negative integer.`);
    }
    return value;
  };
}
