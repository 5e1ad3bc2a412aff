// Normalisation for matching glossary names and text: both sides of every comparison (the entry's title and
// aliases, the user's query) go through the same functions, so the rules only need to be consistent, not to
// be English. "Liquidation Cascades", "liquidation-cascade" and "liquidation cascade" all become
// `liquidation cascade`; "Socialised losses" becomes `socialized loss`.

/** Words whose British `-ise` ending is also the American one (`stem + "ise"`, after singularisation). */
const ISE_KEPT = new Set([
  'advertise',
  'advise',
  'apprise',
  'appraise',
  'bruise',
  'chaise',
  'chastise',
  'circumcise',
  'clockwise',
  'comprise',
  'compromise',
  'concise',
  'crosswise',
  'cruise',
  'demise',
  'despise',
  'devise',
  'disguise',
  'enterprise',
  'excise',
  'exercise',
  'expertise',
  'franchise',
  'improvise',
  'incise',
  'likewise',
  'merchandise',
  'mortise',
  'otherwise',
  'pairwise',
  'paradise',
  'piecewise',
  'porpoise',
  'praise',
  'precise',
  'premise',
  'promise',
  'reprise',
  'revise',
  'stepwise',
  'sunrise',
  'supervise',
  'surmise',
  'surprise',
  'televise',
  'tortoise',
  'treatise',
  'turquoise',
  'unwise',
  'upraise',
  'uprise',
  'valise',
]);

/** Stems of British `-our` words: `behaviour`, `behavioural` → `behavior`, `behavioral`. */
const OUR_STEMS = [
  'armour',
  'behaviour',
  'candour',
  'colour',
  'endeavour',
  'favour',
  'fervour',
  'flavour',
  'harbour',
  'honour',
  'humour',
  'labour',
  'neighbour',
  'odour',
  'parlour',
  'rumour',
  'savour',
  'vapour',
  'vigour',
];

/** Verbs whose British inflections double the final `l`: `modelled` → `modeled`, `signalling` → `signaling`. */
const DOUBLED_L = [
  'cancel',
  'channel',
  'counsel',
  'dial',
  'equal',
  'fuel',
  'funnel',
  'label',
  'level',
  'marshal',
  'model',
  'signal',
  'total',
  'travel',
  'tunnel',
];

/** Whole-word British → American spellings the rules above do not cover. */
const WORD_SPELLINGS = new Map<string, string>([
  ['ageing', 'aging'],
  ['analogue', 'analog'],
  ['artefact', 'artifact'],
  ['calibre', 'caliber'],
  ['catalogue', 'catalog'],
  ['centre', 'center'],
  ['cheque', 'check'],
  ['defence', 'defense'],
  ['enrol', 'enroll'],
  ['fibre', 'fiber'],
  ['fulfil', 'fulfill'],
  ['grey', 'gray'],
  ['instalment', 'installment'],
  ['judgement', 'judgment'],
  ['licence', 'license'],
  ['litre', 'liter'],
  ['manoeuvre', 'maneuver'],
  ['metre', 'meter'],
  ['offence', 'offense'],
  ['practise', 'practice'],
  ['programme', 'program'],
  ['sceptic', 'skeptic'],
  ['sceptical', 'skeptical'],
  ['theatre', 'theater'],
]);

const ISE_ENDING = /^([a-z]{3,})is(e|ed|ing|er|able|ation|ational)$/;
const YSE_ENDING = /^([a-z]+)ys(e|ed|ing|er)$/;
const DOUBLED_L_ENDING = /^([a-z]+)ll(ed|ing|er)$/;
const DOUBLED_L_SET = new Set(DOUBLED_L);

/** One word to its singular form (see `normalizeWord`); not always the English singular, but consistent. */
function singular(word: string): string {
  if (word.length < 3) return word;
  if (word.length >= 5 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.length >= 5 && /(?:ch|sh|x)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('ss') || word.endsWith('us') || word.endsWith('is')) return word;
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

function american(word: string): string {
  const listed = WORD_SPELLINGS.get(word);
  if (listed !== undefined) return listed;
  for (const stem of OUR_STEMS) {
    if (word.startsWith(stem)) return `${stem.slice(0, -2)}r${word.slice(stem.length)}`;
  }
  const doubled = DOUBLED_L_ENDING.exec(word);
  if (doubled !== null && DOUBLED_L_SET.has(`${doubled[1] ?? ''}l`)) return `${doubled[1] ?? ''}l${doubled[2] ?? ''}`;
  const ise = ISE_ENDING.exec(word);
  const iseStem = ise?.[1] ?? '';
  if (ise !== null && !ISE_KEPT.has(`${iseStem}ise`) && !iseStem.endsWith('w')) return `${iseStem}iz${ise[2] ?? ''}`;
  const yse = YSE_ENDING.exec(word);
  if (yse !== null) return `${yse[1] ?? ''}yz${yse[2] ?? ''}`;
  return word;
}

/**
 * One lower-case word to its matching form: singular (`cascades` → `cascade`, `penalties` → `penalty`,
 * `losses` → `loss`, `crashes` → `crash`; a trailing `s` is kept after `ss`, `us` and `is`, so `basis` and
 * `status` stay), then American (`socialised` → `socialized`, `organisation` → `organization`,
 * `behaviour` → `behavior`, `analyse` → `analyze`, `modelled` → `modeled`, `centre` → `center`). Words that
 * end in `che`, `she` or `xe` lose the `e`, so that `avalanche` and `avalanches` (→ `avalanch`) agree.
 */
export function normalizeWord(word: string): string {
  const one = american(singular(word));
  return one.length >= 4 && /(?:ch|sh|x)e$/.test(one) ? one.slice(0, -1) : one;
}

/**
 * Lower case, no diacritics, no apostrophes (`exchange's` → `exchanges`), every other run of characters that
 * are not letters or digits (hyphens, underscores, slashes, punctuation, spaces) to one space, trimmed.
 * Words are left as typed: this is the form a half-typed prefix is compared in.
 */
export function simplify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/['’‘ʼ`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The words of `text` in their matching form (see `normalizeWord`), in order. */
export function words(text: string): string[] {
  const simple = simplify(text);
  return simple === '' ? [] : simple.split(' ').map(normalizeWord);
}

/** `text` in its matching form: `"Auto-Deleveraging Mechanisms"` → `auto deleveraging mechanism`. */
export function normalize(text: string): string {
  return words(text).join(' ');
}

/** A normalised key without its spaces, so `order book` and `orderbook` agree. */
export function compact(key: string): string {
  return key.replaceAll(' ', '');
}

/**
 * The parts of a name: a name with parentheses stands for the whole, for the part outside them and for each
 * part inside: `"ADL (Auto-Deleveraging)"` → itself, `"ADL "`, `"Auto-Deleveraging"`. Whole first.
 */
export function nameParts(name: string): string[] {
  const inner = [...name.matchAll(/\(([^()]*)\)/g)].map((m) => m[1] ?? '');
  return inner.length === 0 ? [name] : [name, name.replace(/\([^()]*\)/g, ' '), ...inner];
}

/**
 * The normalised keys a name answers to, one per part (see `nameParts`): `"ADL (Auto-Deleveraging)"` →
 * `adl auto deleveraging`, `adl`, `auto deleveraging`. Distinct, non-empty, whole first.
 */
export function matchKeys(name: string): string[] {
  return [...new Set(nameParts(name).map(normalize))].filter((key) => key !== '');
}
