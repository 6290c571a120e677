import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { exitOnStartupError, loadConfig } from '@flexsync/runtime';
import { MappingServiceConfig } from './app/mapping-service.config';
import { createMappingServiceHttp, SERVICE } from './app/mapping-service.http';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, MappingServiceConfig);
  const app = await createMappingServiceHttp(config);
  await app.listen(config.PORT, config.HOST);
  new Logger('Bootstrap').log({ host: config.HOST, port: config.PORT }, `${SERVICE} listening`);
}

main().catch(exitOnStartupError(SERVICE));
