export * from './ids';
export * from './stack-env';
export * from './free-port';
export * from './id-samples';
export * from './hours';
