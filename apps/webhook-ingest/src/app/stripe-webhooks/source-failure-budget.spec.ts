import { SourceFailureBudget } from './source-failure-budget';
import type { WebhookIngestConfig } from '../webhook-ingest.config';

describe('SourceFailureBudget', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-02T12:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  const sut = (perMinute: number) => new SourceFailureBudget({ WEBHOOK_FAILURES_PER_MINUTE_PER_SOURCE: perMinute } as WebhookIngestConfig);

  it('allows a source its failures per minute, then refuses it while leaving other sources alone', () => {
    const budget = sut(3);
    for (let i = 0; i < 3; i += 1) {
      expect(budget.allows('10.0.0.1')).toBe(true);
      budget.spend('10.0.0.1');
    }
    expect(budget.allows('10.0.0.1')).toBe(false);
    expect(budget.allows('10.0.0.2')).toBe(true);
  });

  it('refills over time, at the configured rate', () => {
    const budget = sut(60);
    for (let i = 0; i < 60; i += 1) budget.spend('10.0.0.1');
    expect(budget.allows('10.0.0.1')).toBe(false);
    jest.advanceTimersByTime(500);
    expect(budget.allows('10.0.0.1')).toBe(false);
    jest.advanceTimersByTime(600);
    expect(budget.allows('10.0.0.1')).toBe(true);
  });
});
