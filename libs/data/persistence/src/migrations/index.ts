import { InitialSchema1764000000000 } from './1764000000000-initial-schema';

/** Ordered list of schema migrations; new ones are appended here. */
export const MIGRATIONS = [InitialSchema1764000000000];
