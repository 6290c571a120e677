import type { INestApplication, Type, DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, type OpenAPIObject, type SwaggerDocumentOptions, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '../config/load-config';
import { answerBodyParserErrors } from './body-parser-errors';
import { HttpErrorFilter } from './error-filter';
import { listenWithInternalPort } from './internal-port';
import { ForbidPrototypeKeysInterceptor } from './forbid-prototype-keys.interceptor';
import { createValidationPipe } from './validation';

export interface HttpServiceOptions {
  service: string;
  module: Type<unknown> | DynamicModule;
  host: string;
  port: number;
  bodyLimitBytes: number;
  openApi?: {
    title: string;
    description: string;
    bearerAuth?: boolean;
    /** Schemas no Nest route names but `paths` refers to. */
    extraModels?: SwaggerDocumentOptions['extraModels'];
    /** Routes served below Nest, which its document builder cannot see. */
    paths?: OpenAPIObject['paths'];
  };
}

/** Builds a Nest HTTP app with the house conventions: JSON logs, strict validation, one error filter, OpenAPI, graceful shutdown. */
export async function createHttpService(options: HttpServiceOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(options.module, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: options.bodyLimitBytes });
  app.useBodyParser('urlencoded', { limit: options.bodyLimitBytes, extended: true });
  answerBodyParserErrors(app);
  app.useGlobalFilters(new HttpErrorFilter());
  app.useGlobalInterceptors(new ForbidPrototypeKeysInterceptor());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  if (options.openApi) {
    let builder = new DocumentBuilder().setTitle(options.openApi.title).setDescription(options.openApi.description).setVersion('1');
    if (options.openApi.bearerAuth) builder = builder.addBearerAuth();
    const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: options.openApi.extraModels ?? [] });
    Object.assign(document.paths, options.openApi.paths);
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  }
  return app;
}

/**
 * A service's `main`: validate the environment before Nest starts (exit 1 naming every bad key), build the app,
 * listen. `prepare` runs after validation and before the app is built (e.g. routing SDK logs).
 */
export function runHttpService<C extends { HOST: string; PORT: number; INTERNAL_PORT?: number }>(
  service: string,
  configClass: new () => C,
  createApp: (config: C) => Promise<INestApplication>,
  prepare?: (config: C) => void,
): void {
  const start = async (): Promise<void> => {
    const config = loadConfig(service, configClass);
    prepare?.(config);
    const app = await createApp(config);
    // Before listen: the split wraps the request handler of the server Nest is about to start.
    if (config.INTERNAL_PORT) await listenWithInternalPort(app, config.HOST, config.INTERNAL_PORT);
    await app.listen(config.PORT, config.HOST);
    const internal = config.INTERNAL_PORT ? ` (/metrics, /docs on port ${config.INTERNAL_PORT})` : '';
    app.get(Logger).log(`${service} listening on http://${config.HOST}:${config.PORT}${internal}`, 'Bootstrap');
  };
  start().catch(exitOnStartupError(service));
}

/** Start-up failures (bad config, unreachable dependency) end the process with one readable line. */
export function exitOnStartupError(service: string): (error: unknown) => never {
  return (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service, msg: 'startup failed', error: message })}\n${message}\n`);
    process.exit(1);
  };
}
