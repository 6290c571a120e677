export * from './ids';
export * from './stack-env';
