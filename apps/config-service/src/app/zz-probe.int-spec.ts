import { uniqueTenant } from '@flexsync/testing';
import { startStripeEmulator } from '@flexsync/stripe-emulator';

it('x', () => {
  expect(typeof uniqueTenant).toBe(typeof startStripeEmulator);
});
