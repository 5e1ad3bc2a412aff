// The layout of generated scenario files: two-space indentation, and every "leaf" object (one whose values are
// numbers, strings, booleans or arrays of them: a keyframe, a liquidation, a fault, a hit) on one line. Prettier
// would spread each keyframe over a dozen lines, which makes the multi-day files several times larger; the generated
// files are therefore listed in .prettierignore and this layout is checked by test/mock-exchange/suite.test.ts.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isPrimitive = (value: unknown): value is null | boolean | number | string =>
  value === null || typeof value !== 'object';

function isLeaf(value: Json): boolean {
  if (isPrimitive(value) || Array.isArray(value)) return false;
  return Object.values(value as Record<string, Json>).every(
    (v) => isPrimitive(v) || (Array.isArray(v) && v.every((item) => isPrimitive(item))),
  );
}

function print(value: Json, indent: string): string {
  if (isPrimitive(value)) return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((item) => isPrimitive(item))) {
      const flat = JSON.stringify(value);
      if (flat.length <= 100) return flat;
    }
    return `[\n${value.map((item) => inner + print(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (isLeaf(value) && indent.length > 0) return JSON.stringify(value);
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${print(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** A scenario as the generator writes it (ends with a newline). */
export function serialize(scenario: unknown): string {
  return `${print(JSON.parse(JSON.stringify(scenario)) as Json, '')}\n`;
}
