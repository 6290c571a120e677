import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { createHttpService } from './start-http-service';
import { listenWithInternalPort } from './internal-port';

@Controller()
class ProbeController {
  @Get('metrics')
  metrics(): string {
    return 'up 1';
  }

  @Get('health/live')
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('v1/things')
  things(): { items: string[] } {
    return { items: [] };
  }
}

@Module({ imports: [LoggerModule.forRoot({ pinoHttp: { level: 'silent' } })], controllers: [ProbeController] })
class ProbeModule {}

function port(server: Server): number {
  return (server.address() as AddressInfo).port;
}

async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}

describe('INTERNAL_PORT: /metrics and /docs on a port of their own', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(split: boolean): Promise<{ publicUrl: string; internalUrl?: string; internal?: Server }> {
    app = await createHttpService({
      service: 'probe',
      module: ProbeModule,
      host: '127.0.0.1',
      port: 0,
      bodyLimitBytes: 1024,
      openApi: { title: 'probe', description: 'probe' },
    });
    const internal = split ? await listenWithInternalPort(app, '127.0.0.1', 0) : undefined;
    await app.listen(0, '127.0.0.1');
    const publicUrl = `http://127.0.0.1:${port(app.getHttpServer() as Server)}`;
    return { publicUrl, internal, internalUrl: internal ? `http://127.0.0.1:${port(internal)}` : undefined };
  }

  it('serves everything on the one port when it is off (the default: dev and tests unchanged)', async () => {
    const { publicUrl } = await start(false);
    expect(await status(`${publicUrl}/metrics`)).toBe(200);
    expect(await status(`${publicUrl}/docs-json`)).toBe(200);
    expect(await status(`${publicUrl}/v1/things`)).toBe(200);
  });

  it('keeps /metrics and /docs off the public port and only those (and health) on the internal one', async () => {
    const { publicUrl, internalUrl } = await start(true);
    const refused = await fetch(`${publicUrl}/metrics?x=1`);
    expect(refused.status).toBe(404);
    expect(await refused.json()).toEqual({ code: 'ROUTE.NOT_FOUND', message: 'Cannot GET /metrics' });
    expect(await status(`${publicUrl}/docs`)).toBe(404);
    expect(await status(`${publicUrl}/docs-json`)).toBe(404);
    expect(await status(`${publicUrl}/v1/things`)).toBe(200);
    expect(await status(`${publicUrl}/health/live`)).toBe(200);

    expect(await (await fetch(`${internalUrl}/metrics`)).text()).toBe('up 1');
    expect(await status(`${internalUrl}/docs-json`)).toBe(200);
    expect(await status(`${internalUrl}/health/live`)).toBe(200);
    expect(await status(`${internalUrl}/v1/things`)).toBe(404);
  });

  it('closes the internal port with the app', async () => {
    const { internal } = await start(true);
    await app?.close();
    app = undefined;
    expect(internal?.listening).toBe(false);
  });
});
