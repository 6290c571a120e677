import 'reflect-metadata';
import { runHttpService } from '@flexsync/runtime';
import { WebhookIngestConfig } from './app/webhook-ingest.config';
import { createWebhookIngestHttp, SERVICE } from './app/webhook-ingest.http';

runHttpService(SERVICE, WebhookIngestConfig, createWebhookIngestHttp);
