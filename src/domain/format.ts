// Number formatting for explanations and replies (plain text, ASCII minus signs), shared by the risk engine and the commands.

/** $4.2M, $850k, $1.2B, $950. */
export function usd(amountUsd: number): string {
  const sign = amountUsd < 0 ? '-' : '';
  const abs = Math.abs(amountUsd);
  const units: [number, string][] = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, unit] of units) {
    if (abs >= size * 0.9995) return `${sign}$${significant(abs / size)}${unit}`;
  }
  return `${sign}$${abs.toFixed(0)}`;
}

/** A fraction as a signed percentage with precision that suits its size: +18%, -3.4%, +0.25%. */
export function signedPercent(fraction: number): string {
  const text = percent(fraction);
  return fraction >= 0 ? `+${text}` : text;
}

/** A fraction as a percentage: 18%, -3.4%, 0.25%. */
export function percent(fraction: number): string {
  const value = fraction * 100;
  const abs = Math.abs(value);
  const digits = abs >= 10 ? 0 : abs >= 1 ? 1 : 2;
  return `${trimZeros(value.toFixed(digits))}%`;
}

/** A multiple: 9×, 2.8×, 0.45×. */
export function times(ratio: number): string {
  return `${significant(ratio)}×`;
}

/** A duration in ms as "5 min", "1 h", "24 h", "90 s". */
export function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 3_600_000) return `${significant(ms / 3_600_000)} h`;
  if (ms >= 60_000) return `${significant(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** A price with sensible precision: 104,820.5, 3.412, 0.00001234. */
export function price(value: number): string {
  if (value >= 1000) return grouped(trimZeros(value.toFixed(1)));
  if (value >= 1) return trimZeros(value.toFixed(4));
  return value.toPrecision(4);
}

/** Thousands separators in the integer part (toLocaleString is slow on hot paths). */
function grouped(text: string): string {
  const [whole = '', decimals] = text.split('.');
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return decimals === undefined ? withCommas : `${withCommas}.${decimals}`;
}

/** Two decimals below 0.95, one below 100, whole numbers from 100: 0.45, 4.2, 12.5, 340. */
function significant(value: number): string {
  const abs = Math.abs(value);
  const digits = abs < 10 ? 1 : abs < 100 ? 1 : 0;
  const text = abs > 0 && abs < 0.95 ? value.toFixed(2) : value.toFixed(digits);
  return trimZeros(text);
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}
