export * from './aggregate-events.activity';
export * from './decimal';
export * from './sync-activities';
