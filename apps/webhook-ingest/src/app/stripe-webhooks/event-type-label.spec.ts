import { eventTypeLabel } from './event-type-label';

describe('eventTypeLabel', () => {
  it('keeps handled and allow-listed event types', () => {
    for (const type of ['customer.created', 'customer.updated', 'customer.deleted', 'invoice.paid']) {
      expect(eventTypeLabel(type)).toBe(type);
    }
  });

  it('folds every other type into other', () => {
    for (const type of ['made_up.thing', 'customer.created.x', '', 'x'.repeat(255)]) expect(eventTypeLabel(type)).toBe('other');
  });
});
