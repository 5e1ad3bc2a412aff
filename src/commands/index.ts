import { cascadeCommand } from './cascade.js';
import type { CommandDefinition } from './command.js';
import { helpCommand } from './help.js';
import { marketCommand } from './market.js';
import { riskCommand } from './risk.js';
import { statusCommand } from './status.js';
import { subscribeCommand, subscriptionsCommand, unsubscribeCommand } from './subscribe.js';
import { termCommand } from './term.js';
import { termsCommand } from './terms.js';

/** Every command, in the order `help` lists them. Each platform serves all of them. */
export const commands: readonly CommandDefinition[] = [
  termCommand,
  termsCommand,
  riskCommand,
  cascadeCommand,
  marketCommand,
  statusCommand,
  subscribeCommand,
  unsubscribeCommand,
  subscriptionsCommand,
  helpCommand,
];
