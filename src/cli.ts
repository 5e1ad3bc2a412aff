// Entry point of `npm run -s cli -- <command> [args] [--json]`.
import { runCli } from './cli/run.js';

try {
  process.exitCode = await runCli(process.argv.slice(2), (text) => process.stdout.write(text + '\n'));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
