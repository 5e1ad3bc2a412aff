// The names the glossary must answer to, as `../shared/glossary-terms.md` lists them (names only). Embedded so
// the tests run without the shared folder; `real-glossary.test.ts` checks them against the file when it is there.

/** "Headings from the source material (all must resolve)": each must be a title or an alias of an entry. */
export const HEADINGS = [
  'Liquidation Cascades',
  'Liquidation Engine Solvency',
  'Liquidation Penalty Calculation',
  'Deleveraging',
  'Leverage Deleveraging',
  'Deleveraging Cycles',
  'Auto-Deleveraging',
  'Deleveraging Spiral',
  'Deleveraging Mechanism',
  'Deleveraging Cycle',
  'ADL (Auto-Deleveraging)',
  'Deleveraging Events',
  'Leverage Deleveraging Cycles',
  'Deleveraging Spirals',
  'Leverage Deleveraging Spiral',
  'Deleveraging Dynamics',
  'Forced Deleveraging',
  'Deleveraging Cascades',
  'Forced Deleveraging Events',
  'Auto-Deleveraging Mechanism',
  'Death Spiral Risk',
  'Deleveraging Event',
  'Deleveraging Cascade',
  'Margin Call Spiral',
  'Auto-Deleveraging Mechanics',
  'Deleveraging Mechanisms',
  'Auto Deleveraging',
  'Automated Deleveraging Mechanisms',
  'Position Deleveraging',
  'Deleveraging Strategy',
] as const;

/** "Supporting terms the bot's own messages use (each needs an entry)". */
export const SUPPORTING_TERMS = [
  'Open interest',
  'Funding rate',
  'Perpetual swap (perpetual future)',
  'Mark price',
  'Index price',
  'Leverage',
  'Initial margin',
  'Maintenance margin',
  'Margin call',
  'Liquidation',
  'Liquidation price',
  'Bankruptcy price',
  'Isolated margin',
  'Cross margin',
  'Insurance fund',
  'Socialized loss (clawback)',
  'ADL ranking / indicator',
  'Order-book depth',
  'Price impact (slippage)',
  'Bid-ask spread',
  'Long/short ratio',
  'Basis and premium',
  'Long squeeze',
  'Short squeeze',
  'Market maker',
  'Stress test',
  'Position sizing',
  'Hedging',
  'Systemic risk',
  'Contagion (fire sale)',
  'Cascade amplification',
] as const;

/**
 * The names a supporting term stands for, where the list writes two names in one: "ADL ranking / indicator" is
 * "ADL ranking" or "ADL indicator" (a slash inside a name, as in "Long/short ratio", is part of the name).
 */
export const SUPPORTING_TERM_NAMES: Readonly<Record<string, readonly string[]>> = {
  'ADL ranking / indicator': ['ADL ranking', 'ADL indicator'],
};

/** The names of the section of `glossary-terms.md` whose heading starts with `heading`, split at ` · `. */
export function namesInSection(markdown: string, heading: string): string[] {
  const section = markdown
    .replace(/\r\n?/g, '\n')
    .split(/^## /m)
    .find((part) => part.startsWith(heading));
  if (section === undefined) return [];
  return section
    .split('\n')
    .slice(1)
    .join(' ')
    .split('·')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}
