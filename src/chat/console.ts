// The console adapter: commands typed on stdin, replies (and later alerts) on stdout. It is what `npm start`
// talks through when no chat platform is configured.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { CommandContext } from '../commands/command.js';
import { dispatch, inputFromLine, type FailureReporter } from '../commands/dispatch.js';
import type { Reply } from '../commands/reply.js';
import { renderText } from './text.js';

export interface ConsoleAdapterOptions {
  input: Readable;
  output: Writable;
  /** Builds the context afresh for each line, so `now` and services are current. */
  context: () => CommandContext;
  reportFailure: FailureReporter;
  /** Show a prompt (only on an interactive terminal). */
  prompt: boolean;
}

export interface ConsoleAdapter {
  /** Prints an alert or notice that was not asked for. */
  post(reply: Reply): void;
  /** Resolves when the input ends (Ctrl-D, or the end of piped input). */
  readonly closed: Promise<void>;
  close(): void;
}

export function startConsoleAdapter(options: ConsoleAdapterOptions): ConsoleAdapter {
  const { output } = options;
  const lines = createInterface({ input: options.input, terminal: false });
  const write = (text: string): void => void output.write(text + '\n');
  const showPrompt = (): void => {
    if (options.prompt) output.write('spiralwatch> ');
  };
  // Lines are answered in order even when a command is slow.
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      const input = inputFromLine(line);
      if (input !== undefined) {
        const answer = await dispatch(input, options.context(), options.reportFailure);
        write(renderText(answer) + '\n');
      }
      showPrompt();
    });
  });
  const closed = new Promise<void>((resolve) => lines.once('close', () => void queue.then(resolve)));
  showPrompt();
  return {
    post: (reply) => write(renderText(reply) + '\n'),
    closed,
    close: () => lines.close(),
  };
}
