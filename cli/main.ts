// The `lab` command (DESIGN.md section 6), the composition root. Each subcommand lives in
// cli/commands/<name>.ts and exports `register<Name>(program)`, which must add it with
// `program.command(...)` so that it inherits the error handling configured here.
//
// Exit codes: 0 ok, 1 a verdict other than pass (or a crash), 2 bad input or usage. Usage errors
// print one line on stderr and never a stack trace; --help and --version exit 0.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerBench } from './commands/bench.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, anyFailed } from './exit.js';
import { registerRun } from './commands/run.js';
import { registerPlan } from './commands/plan.js';
import { registerVerify } from './commands/verify.js';

export function buildProgram(): Command {
  const program = new Command('lab')
    .description('deterministic simulation lab for disaster-recovery replication')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`lab: ${oneLine(message)}\n`) });
  registerRun(program);
  registerBench(program);
  registerPlan(program);
  registerVerify(program);
  return program;
}

/** Runs the command line and returns the exit code; never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return anyFailed() ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE; // commander printed it
    if (error instanceof UsageError) {
      // One line per problem (a bad file may have several), never a stack trace.
      process.stderr.write(`${error.message.split('\n').map((line) => `lab: ${line}`).join('\n')}\n`);
      return EXIT_USAGE;
    }
    // A bug, not bad input: keep the stack, it is what the maintainer needs.
    process.stderr.write(`lab: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILED;
  }
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** Commander ends messages with a newline and may add a "(Did you mean ...?)" line. */
function oneLine(message: string): string {
  return message.trim().replace(/\s*\n\s*/g, ' ');
}

// Set the code rather than calling process.exit, so a large JSON document on a pipe is flushed.
process.exitCode = await main(process.argv.slice(2));
