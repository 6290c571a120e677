import { stripeEmulatorOptionsFromEnv } from './emulator-env';
import { startStripeEmulator } from './stripe-emulator';

async function main(): Promise<void> {
  const options = stripeEmulatorOptionsFromEnv(process.env);
  const emulator = await startStripeEmulator(options);
  const accounts = emulator.accounts().map((account) => account.id);
  console.log(JSON.stringify({ msg: 'stripe emulator listening', url: emulator.url, accounts }));

  const shutdown = (signal: string): void => {
    console.log(JSON.stringify({ msg: 'stripe emulator stopping', signal }));
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
