export { violatedUniqueIndex } from '@flexsync/persistence';
