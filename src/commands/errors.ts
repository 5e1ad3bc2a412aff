// User-facing errors are keyed by identifier; their wording lives here and nowhere else.
import { reply, type Reply } from './reply.js';

export type UserErrorId =
  | 'unknownCommand'
  | 'missingArgument'
  | 'argumentTooLong'
  | 'invalidNumber'
  | 'outOfRange'
  | 'invalidChoice'
  | 'tooManyArguments'
  | 'unknownTerm'
  | 'unknownTopic'
  | 'unknownSymbol'
  | 'noData'
  | 'notPermitted'
  | 'internal';

type Params = Readonly<Record<string, string | number>>;

const WORDING: Record<UserErrorId, { title: string; text: (p: Params) => string }> = {
  unknownCommand: {
    title: 'Unknown command',
    text: (p) => `There is no command "${p.name}". ${p.hint ?? 'Try "help" for the list.'}`,
  },
  missingArgument: { title: 'Missing argument', text: (p) => `"${p.command}" needs ${p.option}: ${p.description}.` },
  argumentTooLong: {
    title: 'Argument too long',
    text: (p) => `${p.option} can be at most ${p.max} characters; this one has ${p.length}.`,
  },
  invalidNumber: { title: 'Not a number', text: (p) => `${p.option} must be a number; "${p.value}" is not one.` },
  outOfRange: {
    title: 'Out of range',
    text: (p) => `${p.option} must be between ${p.min} and ${p.max}; ${p.value} is outside.`,
  },
  invalidChoice: { title: 'Not a valid choice', text: (p) => `${p.option} must be one of: ${p.choices}.` },
  tooManyArguments: { title: 'Too many arguments', text: (p) => `"${p.command}" takes ${p.usage}.` },
  unknownTerm: {
    title: 'No entry',
    text: (p) =>
      `No entry for "${p.query}".${p.suggestions ? ` Did you mean: ${p.suggestions}?` : ' Try "terms" for the list.'}`,
  },
  unknownTopic: { title: 'No such topic', text: (p) => `There is no topic "${p.topic}". Topics: ${p.topics}.` },
  unknownSymbol: {
    title: 'Unknown market',
    text: (p) => `No watched market matches "${p.symbol}".${p.suggestions ? ` Close matches: ${p.suggestions}.` : ''}`,
  },
  noData: { title: 'No data yet', text: (p) => `${p.what}` },
  notPermitted: { title: 'Not permitted', text: (p) => `${p.why}` },
  internal: {
    title: 'Something went wrong',
    text: () => 'The command failed on our side. It has been logged; please try again in a moment.',
  },
};

/** A reply that tells the user what was wrong with their request. */
export function userError(id: UserErrorId, params: Params = {}): Reply {
  const wording = WORDING[id];
  return reply(wording.title, wording.text(params), { level: 'error', error: { id }, data: { error: id, ...params } });
}
