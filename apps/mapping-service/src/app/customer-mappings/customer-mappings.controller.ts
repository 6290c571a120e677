import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentTenant, TenantAdmin, type TenantPrincipal } from '@flexsync/auth';
import { ErrorView } from '@flexsync/runtime';
import { CreateCustomerMappingDto, ListCustomerMappingsQuery } from './dto/customer-mapping.dto';
import { CustomerMappingPageView, CustomerMappingView, toCustomerMappingView } from './dto/customer-mapping.view';
import { CreateCustomerMapping } from './use-cases/create-customer-mapping';
import { DeleteCustomerMapping } from './use-cases/delete-customer-mapping';
import { GetCustomerMapping } from './use-cases/get-customer-mapping';
import { ListCustomerMappings } from './use-cases/list-customer-mappings';

/** FlexPrice customer ↔ Stripe customer, in the caller's tenant and environment. Webhooks fill most rows. */
@ApiTags('customer-mappings')
@ApiExtraModels(ErrorView)
@TenantAdmin()
@Controller('v1/stripe/customers/mapping')
export class CustomerMappingsController {
  constructor(
    @Inject(ListCustomerMappings) private readonly listMappings: ListCustomerMappings,
    @Inject(GetCustomerMapping) private readonly getMapping: GetCustomerMapping,
    @Inject(CreateCustomerMapping) private readonly createMapping: CreateCustomerMapping,
    @Inject(DeleteCustomerMapping) private readonly deleteMapping: DeleteCustomerMapping,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List customer mappings',
    description: 'Filter by customer_id, provider_customer_id or status (e.g. unmatched); oldest first, paged.',
  })
  @ApiOkResponse({ type: CustomerMappingPageView })
  @ApiBadRequestResponse({ type: ErrorView })
  list(@CurrentTenant() principal: TenantPrincipal, @Query() query: ListCustomerMappingsQuery): Promise<CustomerMappingPageView> {
    return this.listMappings.execute(principal, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read one customer mapping' })
  @ApiOkResponse({ type: CustomerMappingView })
  @ApiNotFoundResponse({ type: ErrorView })
  async get(@CurrentTenant() principal: TenantPrincipal, @Param('id') id: string): Promise<CustomerMappingView> {
    return toCustomerMappingView(await this.getMapping.execute(principal, id));
  }

  @Post()
  @ApiOperation({
    summary: 'Map a FlexPrice customer to a Stripe customer',
    description: 'Resolves the row in place when the Stripe customer is recorded as unmatched (200).',
  })
  @ApiBody({ type: CreateCustomerMappingDto })
  @ApiCreatedResponse({ type: CustomerMappingView, description: 'created' })
  @ApiOkResponse({ type: CustomerMappingView, description: 'an unmatched Stripe customer was mapped' })
  @ApiBadRequestResponse({ type: ErrorView })
  @ApiConflictResponse({ type: ErrorView, description: 'either customer is already mapped, or the Stripe customer is deleted' })
  async create(
    @CurrentTenant() principal: TenantPrincipal,
    @Body() dto: CreateCustomerMappingDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CustomerMappingView> {
    const outcome = await this.createMapping.execute(principal, dto);
    response.status(outcome.created ? HttpStatus.CREATED : HttpStatus.OK);
    return toCustomerMappingView(outcome.mapping);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a customer mapping' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiNotFoundResponse({ type: ErrorView })
  async delete(@CurrentTenant() principal: TenantPrincipal, @Param('id') id: string): Promise<void> {
    await this.deleteMapping.execute(principal, id);
  }
}
