export * from './ids';
export * from './stack-env';
export * from './free-port';
