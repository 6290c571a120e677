import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { exitOnStartupError, loadConfig } from '@flexsync/runtime';
import { ConfigServiceConfig } from './app/config-service.config';
import { createConfigServiceHttp, SERVICE } from './app/config-service.http';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, ConfigServiceConfig);
  const app = await createConfigServiceHttp(config);
  await app.listen(config.PORT, config.HOST);
  new Logger('Bootstrap').log({ host: config.HOST, port: config.PORT }, `${SERVICE} listening`);
}

main().catch(exitOnStartupError(SERVICE));
