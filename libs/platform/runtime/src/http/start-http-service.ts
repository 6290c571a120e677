import type { INestApplication, Type, DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { answerBodyParserErrors } from './body-parser-errors';
import { HttpErrorFilter } from './error-filter';
import { createValidationPipe } from './validation';

export interface HttpServiceOptions {
  service: string;
  module: Type<unknown> | DynamicModule;
  host: string;
  port: number;
  bodyLimitBytes: number;
  /** Keep the exact bytes of each request (`req.rawBody`): webhook signatures are computed over them. */
  rawBody?: boolean;
  openApi?: { title: string; description: string; bearerAuth?: boolean };
}

/** Builds a Nest HTTP app with the house conventions: JSON logs, strict validation, one error filter, OpenAPI, graceful shutdown. */
export async function createHttpService(options: HttpServiceOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(options.module, {
    bufferLogs: true,
    rawBody: options.rawBody ?? false,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: options.bodyLimitBytes });
  app.useBodyParser('urlencoded', { limit: options.bodyLimitBytes, extended: true });
  answerBodyParserErrors(app);
  app.useGlobalFilters(new HttpErrorFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  if (options.openApi) {
    let builder = new DocumentBuilder().setTitle(options.openApi.title).setDescription(options.openApi.description).setVersion('1');
    if (options.openApi.bearerAuth) builder = builder.addBearerAuth();
    const document = SwaggerModule.createDocument(app, builder.build());
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  }
  return app;
}

export async function startHttpService(options: HttpServiceOptions): Promise<INestApplication> {
  const app = await createHttpService(options);
  await app.listen(options.port, options.host);
  app.get(Logger).log({ host: options.host, port: options.port }, `${options.service} listening`);
  return app;
}

/** Start-up failures (bad config, unreachable dependency) end the process with one readable line. */
export function exitOnStartupError(service: string): (error: unknown) => never {
  return (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service, msg: 'startup failed', error: message })}\n${message}\n`);
    process.exit(1);
  };
}
