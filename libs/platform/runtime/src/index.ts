export * from './config/load-config';
export * from './config/config-fields';
export * from './errors/domain-error';
export * from './http/body-parser-errors';
export * from './http/error-filter';
export * from './http/forbid-prototype-keys.interceptor';
export * from './http/start-http-service';
export * from './http/validation';
