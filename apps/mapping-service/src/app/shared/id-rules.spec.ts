import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { FLEXPRICE_CUSTOMER_ID_SAMPLES } from '@flexsync/testing';
import { CreateCustomerMappingDto, ListCustomerMappingsQuery } from '../customer-mappings/dto/customer-mapping.dto';
import { CreateMeterMappingDto } from '../meter-mappings/dto/meter-mapping.dto';

function problems(dto: object): string[] {
  return validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).map((error) => error.property);
}

describe('the mapping API checks FlexPrice ids by the one FlexPrice id rule and Stripe ids by the Stripe rule', () => {
  it.each(FLEXPRICE_CUSTOMER_ID_SAMPLES)('accepts customer_id $id in a mapping and a filter exactly when the rule does ($valid)', ({ id, valid }) => {
    const create = plainToInstance(CreateCustomerMappingDto, { customer_id: id, provider_type: 'stripe', provider_customer_id: 'cus_1' });
    expect(problems(create).includes('customer_id')).toBe(!valid);
    expect(problems(plainToInstance(ListCustomerMappingsQuery, { customer_id: id })).includes('customer_id')).toBe(!valid);
  });

  it.each(FLEXPRICE_CUSTOMER_ID_SAMPLES)('accepts meter_id $id exactly when the FlexPrice id rule does ($valid)', ({ id, valid }) => {
    const create = plainToInstance(CreateMeterMappingDto, { meter_id: id, provider_type: 'stripe', provider_meter_id: 'meter.storage' });
    expect(problems(create).includes('meter_id')).toBe(!valid);
  });

  it('accepts Stripe customer ids of any visible ASCII up to 255 characters, and nothing longer or spaced', () => {
    const create = (provider: string) =>
      problems(plainToInstance(CreateCustomerMappingDto, { customer_id: 'client_1', provider_type: 'stripe', provider_customer_id: provider }));
    expect(create('cus_#odd~but.stripe')).toEqual([]);
    expect(create('c'.repeat(255))).toEqual([]);
    expect(create('c'.repeat(256))).toEqual(['provider_customer_id']);
    expect(create('cus 1')).toEqual(['provider_customer_id']);
  });
});
