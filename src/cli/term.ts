// `term <query>` on the command line: the glossary answer with the live line the bot would add, read from the
// bot's store without disturbing it (read-only; never created, written or migrated), and where the figures come
// from. The glossary answer is printed whatever state the store is in.
import { resolve } from 'node:path';
import type { CommandContext, Services } from '../commands/command.js';
import { dispatch } from '../commands/dispatch.js';
import { commands } from '../commands/index.js';
import type { Reply } from '../commands/reply.js';
import { formatDuration } from '../commands/text.js';
import { envSchema } from '../config/env.js';
import type { Glossary } from '../glossary/types.js';
import type { Logger } from '../log/logger.js';
import { openStoreReadOnly, StoreReadError } from '../store/readonly-store.js';
import type { ReadOnlyMarketStore, ReadOnlyOpenResult, ReadOnlyProblem } from '../store/readonly-store.js';
import { WINDOW_SPAN_MS } from '../store/window.js';

/** Where the live figures came from, or why there are none: shown under "Now" and in `--json` as `figures`. */
export type Figures =
  | { source: 'store'; path: string; lastPolledAt: number; ageMs: number }
  | { source: 'none'; reason: ReadOnlyProblem | 'noRecentData' | 'badDataDir' | 'postgres'; message: string };

export interface TermOptions {
  env: Readonly<Record<string, string | undefined>>;
  glossary: Glossary;
  now: number;
  log: Logger;
}

/** The data directory as the bot reads it from DATA_DIR (same default, same trimming). */
function dataDirOf(env: TermOptions['env']): { ok: true; dir: string } | { ok: false; message: string } {
  const parsed = envSchema.shape.DATA_DIR.safeParse(env.DATA_DIR);
  return parsed.success
    ? { ok: true, dir: resolve(parsed.data) }
    : { ok: false, message: `no live figures: DATA_DIR is not a usable path (${JSON.stringify(env.DATA_DIR)})` };
}

function hhmmUtc(at: number): string {
  return `${new Date(at).toISOString().slice(11, 16)} UTC`;
}

/** The one line that says why there are no figures. */
function noFiguresLine(problem: ReadOnlyProblem, dir: string, path: string, detail: string): string {
  switch (problem) {
    case 'missing':
      return `no live figures: no store at ${dir}`;
    case 'locked':
      return `no live figures: the store at ${path} is locked by another process; try again (${detail})`;
    case 'corrupt':
      return `no live figures: ${path} is not a readable Spiralwatch store (${detail})`;
    case 'schema':
      return `no live figures: the store at ${path} has ${detail}; the command line reads only a store the bot has migrated (start the bot of this version once)`;
    case 'unreadable':
      return `no live figures: could not read the store at ${path} (${detail})`;
  }
}

function unavailable(opened: Extract<ReadOnlyOpenResult, { ok: false }>, dir: string): Figures {
  return {
    source: 'none',
    reason: opened.problem,
    message: noFiguresLine(opened.problem, dir, opened.path, opened.detail),
  };
}

function figuresLine(figures: Figures): string {
  return figures.source === 'store'
    ? `figures from the bot's store, last polled ${hhmmUtc(figures.lastPolledAt)}, ${formatDuration(figures.ageMs)} ago`
    : figures.message;
}

/** Puts the source of the figures under the live line (or in its place), and into the JSON data. */
function withFigures(answer: Reply, figures: Figures, hadLine: boolean): Reply {
  const note =
    hadLine || figures.source === 'none'
      ? figuresLine(figures)
      : `no live figures for this term in the bot's store (last polled ${hhmmUtc(figures.lastPolledAt)}, ${formatDuration(figures.ageMs)} ago)`;
  const now = answer.fields.find((f) => f.name === 'Now');
  const fields = now
    ? answer.fields.map((f) => (f === now ? { ...f, value: `${f.value}\n(${note})` } : f))
    : [...answer.fields, { name: 'Now', value: note }];
  const data = typeof answer.data === 'object' && answer.data !== null ? { ...answer.data, figures } : answer.data;
  return { ...answer, fields, data };
}

async function lookUp(words: readonly string[], services: Services, options: TermOptions): Promise<Reply> {
  const context: CommandContext = {
    services,
    now: options.now,
    caller: { platform: 'cli', canManageSubscriptions: true },
    commands,
  };
  let storeFailure: StoreReadError | undefined;
  const answer = await dispatch({ name: 'term', kind: 'words', words }, context, (error, command) => {
    if (error instanceof StoreReadError) storeFailure = error;
    else options.log.error('command failed', { command, error });
  });
  if (storeFailure !== undefined) throw storeFailure;
  return answer;
}

/** Whether the answered entry is one the bot shows live figures for. */
function hasLiveMeasure(answer: Reply, glossary: Glossary): boolean {
  if (answer.error) return false;
  const id = (answer.data as { entry?: { id?: unknown } } | null)?.entry?.id;
  return typeof id === 'string' && (glossary.byId(id)?.live ?? null) !== null;
}

/** Answers `term`, with the live line from the bot's store when there is one. */
export async function answerTerm(words: readonly string[], options: TermOptions): Promise<Reply> {
  const { glossary, now } = options;
  const dataDir = dataDirOf(options.env);
  const glossaryOnly = async (figures: Figures): Promise<Reply> => {
    const answer = await lookUp(words, { glossary }, options);
    return hasLiveMeasure(answer, glossary) ? withFigures(answer, figures, false) : answer;
  };
  // This path promises never to touch the bot's store; a shared Postgres is left to the commands that open it.
  if ((options.env.DATABASE_URL ?? '').trim() !== '') {
    return glossaryOnly({
      source: 'none',
      reason: 'postgres',
      message: 'no live figures here: the bot keeps its data in Postgres (DATABASE_URL); "market <symbol>" reads it',
    });
  }
  if (!dataDir.ok) return glossaryOnly({ source: 'none', reason: 'badDataDir', message: dataDir.message });
  const opened = openStoreReadOnly(dataDir.dir, { now: () => now });
  if (!opened.ok) return glossaryOnly(unavailable(opened, dataDir.dir));
  const store: ReadOnlyMarketStore = opened.store;
  try {
    const lastPolledAt = store.lastSnapshotAt();
    if (lastPolledAt === null) {
      return await glossaryOnly({
        source: 'none',
        reason: 'noRecentData',
        message: `no live figures: the store holds no recent data (nothing polled in the last ${formatDuration(WINDOW_SPAN_MS)}; ${store.path})`,
      });
    }
    const answer = await lookUp(words, { glossary, market: store }, options);
    if (!hasLiveMeasure(answer, glossary)) return answer;
    const figures: Figures = { source: 'store', path: store.path, lastPolledAt, ageMs: now - lastPolledAt };
    return withFigures(
      answer,
      figures,
      answer.fields.some((f) => f.name === 'Now'),
    );
  } catch (error) {
    if (!(error instanceof StoreReadError)) throw error;
    return await glossaryOnly({
      source: 'none',
      reason: error.problem,
      message: noFiguresLine(error.problem, dataDir.dir, error.path, error.message),
    });
  } finally {
    store.close();
  }
}
