// The problems loadConfig reports for an environment (the test fails when it reports none).
import { ConfigError, loadConfig } from '../../src/config/env.js';

export function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
