// `npm run scenarios [-- --check] [-- name ...]`: writes the generated scenario files (and the expect sections of
// the hand-made crash files) into scenarios/; with --check, writes nothing and exits 1 if any file differs.
import { readFile, writeFile } from 'node:fs/promises';
import { PATCHED, PLANS, SCENARIOS_DIR, generatedText, patchedText } from './suite.js';

const args = process.argv.slice(2);
const check = args.includes('--check');
const only = args.filter((a) => !a.startsWith('--'));
const wanted = (name: string) => only.length === 0 || only.includes(name);

let differing = 0;
async function emit(name: string, text: string): Promise<void> {
  const file = `${SCENARIOS_DIR}${name}.json`;
  const current = await readFile(file, 'utf8').catch(() => null);
  const size = `${(Buffer.byteLength(text) / 1e6).toFixed(2)} MB`;
  if (current === text) {
    process.stdout.write(`${name}: unchanged (${size})\n`);
    return;
  }
  differing += 1;
  if (check) {
    process.stdout.write(`${name}: differs from what the generator makes\n`);
    return;
  }
  await writeFile(file, text);
  process.stdout.write(`${name}: written (${size})\n`);
}

for (const plan of PLANS) if (wanted(plan.name)) await emit(plan.name, generatedText(plan));
for (const entry of PATCHED) if (wanted(entry.name)) await emit(entry.name, await patchedText(entry));
if (check && differing > 0) process.exitCode = 1;
