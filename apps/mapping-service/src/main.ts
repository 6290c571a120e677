import 'reflect-metadata';
import { runHttpService } from '@flexsync/runtime';
import { MappingServiceConfig } from './app/mapping-service.config';
import { createMappingServiceHttp, SERVICE } from './app/mapping-service.http';

runHttpService(SERVICE, MappingServiceConfig, createMappingServiceHttp);
