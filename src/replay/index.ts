// Scenario replays through the real pipeline (src/replay/replay.ts) and their text (format.ts).
export * from './replay.js';
export * from './format.js';
export { progressLine } from './progress.js';
