import 'reflect-metadata';
import { runHttpService } from '@flexsync/runtime';
import { ConfigServiceConfig } from './app/config-service.config';
import { createConfigServiceHttp, SERVICE } from './app/config-service.http';

runHttpService(SERVICE, ConfigServiceConfig, createConfigServiceHttp);
