/** The startup problems loadConfig names for an environment that must be refused (it fails when none are named). */
import { ConfigError, loadConfig, type EnvInput, type LoadConfigOptions } from "../../src/config.js";

export function configProblems(env: EnvInput, options: LoadConfigOptions = {}): string[] {
  try {
    loadConfig(env, options);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}
