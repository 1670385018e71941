// Exit codes of the `lab` command (DESIGN.md section 6) and the error that means "bad input".
// Commands throw `UsageError` for anything the user can fix by changing the command line or an
// input file; main.ts turns it into one line on stderr and exit code 2, never a stack trace.

export const EXIT_OK = 0;
/** Some verdict other than pass (or the command itself crashed). */
export const EXIT_FAILED = 1;
/** Bad input or usage. */
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

let failed = false;

/** A command found a verdict other than pass: the process exits with EXIT_FAILED. */
export function markFailed(): void {
  failed = true;
}

export function anyFailed(): boolean {
  return failed;
}
