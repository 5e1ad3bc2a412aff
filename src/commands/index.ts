import type { CommandDefinition } from './command.js';
import { helpCommand } from './help.js';
import { termCommand } from './term.js';
import { termsCommand } from './terms.js';

/** Every command, in the order `help` lists them. Each platform serves all of them. */
export const commands: readonly CommandDefinition[] = [termCommand, termsCommand, helpCommand];
