import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export interface ConfigProblem {
  key: string;
  reasons: string[];
}

/** Thrown at start when the environment is not a valid configuration; lists every bad key at once. */
export class ConfigValidationError extends Error {
  constructor(
    readonly service: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${service}: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.key}: ${p.reasons.join('; ')}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

function collectProblems(errors: ValidationError[]): ConfigProblem[] {
  // class-validator messages embed the property name but never the value, so secrets stay out of them.
  return errors.map((error) => ({
    key: error.property,
    reasons: Object.values(error.constraints ?? { invalid: `${error.property} is invalid` }),
  }));
}

/**
 * Validates `env` against a class-validator config class before Nest starts.
 * Unknown environment variables are ignored; every declared key is checked and all problems are reported together.
 */
export function loadConfig<T extends object>(service: string, configClass: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const config = plainToInstance(configClass, { ...env }, { enableImplicitConversion: false, exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, skipMissingProperties: false });
  if (errors.length > 0) {
    throw new ConfigValidationError(service, collectProblems(errors));
  }
  return config;
}
