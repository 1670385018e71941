// Assertions stay on in production (DESIGN.md section 2.8). They are for programmer errors;
// operating errors travel as discriminated unions.

export class AssertionFailure extends Error {
  override readonly name = 'AssertionFailure';
}

export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new AssertionFailure(why);
}

export function unreachable(value: never, why = 'unreachable'): never {
  throw new AssertionFailure(`${why}: ${JSON.stringify(value)}`);
}
