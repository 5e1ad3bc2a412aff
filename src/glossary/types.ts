/** Topics group glossary entries for `terms [topic]`. */
export const GLOSSARY_TOPICS = [
  'spiral',
  'liquidation',
  'margin',
  'derivatives',
  'market-structure',
  'risk-management',
] as const;
export type GlossaryTopic = (typeof GLOSSARY_TOPICS)[number];

/** Measures the bot can show live beside an entry (issue: risk engine). */
export const LIVE_MEASURES = [
  'fundingRate',
  'openInterest',
  'basis',
  'longShortRatio',
  'liquidations',
  'orderBookDepth',
  'cascadeAmplification',
] as const;
export type LiveMeasure = (typeof LIVE_MEASURES)[number];

export interface GlossarySource {
  title: string;
  url: string;
}

export interface GlossaryEntry {
  /** The file name without `.md`, kebab-case; what `related` refers to. */
  id: string;
  title: string;
  aliases: readonly string[];
  related: readonly string[];
  topic: GlossaryTopic;
  tags: readonly string[];
  /** At most 300 characters: fits one chat message. */
  short: string;
  /** The body text before the first `##` heading. */
  explanation: string;
  /** The `## Formula` section, when the concept has one. */
  formula: string | null;
  /** The `## Example` section: a worked example with numbers. */
  example: string;
  sources: readonly GlossarySource[];
  live: LiveMeasure | null;
}

export type LookupMatch = 'title' | 'alias' | 'typo' | 'fulltext';

export type LookupResult =
  | { kind: 'found'; entry: GlossaryEntry; matchedBy: LookupMatch; alternatives: readonly GlossaryEntry[] }
  | { kind: 'miss'; query: string; suggestions: readonly GlossaryEntry[] };

export interface AutocompleteChoice {
  id: string;
  /** What to show: the title, or the alias that matched followed by the title. */
  label: string;
}

/** The glossary as the command core reads it: pure, in memory. */
export interface Glossary {
  readonly entries: readonly GlossaryEntry[];
  byId(id: string): GlossaryEntry | undefined;
  lookup(query: string): LookupResult;
  /** Ranked completions for a typed prefix, at most `limit` (25 by default, Discord's cap). */
  autocomplete(prefix: string, limit?: number): readonly AutocompleteChoice[];
}
