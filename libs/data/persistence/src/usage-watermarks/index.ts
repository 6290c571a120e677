export * from './stripe-usage-watermark.entity';
export * from './usage-watermark.store';
