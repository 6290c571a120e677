import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Patch, Post, Query } from '@nestjs/common';
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
import { CurrentTenant, TenantAdmin, type TenantPrincipal } from '@flexsync/auth';
import { ErrorView } from '@flexsync/runtime';
import { ListMeterMappingsQuery } from './dto/list-meter-mappings.query';
import { CreateMeterMappingDto, UpdateMeterMappingDto } from './dto/meter-mapping.dto';
import { MeterMappingPageView, MeterMappingView, toMeterMappingView } from './dto/meter-mapping.view';
import { CreateMeterMapping } from './use-cases/create-meter-mapping';
import { DeleteMeterMapping } from './use-cases/delete-meter-mapping';
import { GetMeterMapping } from './use-cases/get-meter-mapping';
import { ListMeterMappings } from './use-cases/list-meter-mappings';
import { UpdateMeterMapping } from './use-cases/update-meter-mapping';

/** FlexPrice meter → Stripe Meter event_name, in the caller's tenant and environment. */
@ApiTags('meter-mappings')
@ApiExtraModels(ErrorView)
@TenantAdmin()
@Controller('v1/stripe/meters/mapping')
export class MeterMappingsController {
  constructor(
    @Inject(CreateMeterMapping) private readonly createMapping: CreateMeterMapping,
    @Inject(ListMeterMappings) private readonly listMappings: ListMeterMappings,
    @Inject(GetMeterMapping) private readonly getMapping: GetMeterMapping,
    @Inject(UpdateMeterMapping) private readonly updateMapping: UpdateMeterMapping,
    @Inject(DeleteMeterMapping) private readonly deleteMapping: DeleteMeterMapping,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Map a FlexPrice meter to a Stripe Meter (event_name or meter id)',
    description: 'The meter is checked in the tenant’s Stripe account first: it must exist, be active and aggregate with sum.',
  })
  @ApiBody({ type: CreateMeterMappingDto })
  @ApiCreatedResponse({ type: MeterMappingView })
  @ApiBadRequestResponse({
    type: ErrorView,
    description:
      'missing, mistyped or unknown field, unknown provider_type, malformed JSON or oversized body; or the Stripe meter ' +
      'is missing, inactive or does not aggregate with sum (the reason names the meter and its formula)',
  })
  @ApiNotFoundResponse({ type: ErrorView, description: 'the tenant has no Stripe config yet (PUT /v1/stripe/config first)' })
  @ApiConflictResponse({ type: ErrorView, description: 'the meter is already mapped in this environment' })
  async create(@CurrentTenant() principal: TenantPrincipal, @Body() dto: CreateMeterMappingDto): Promise<MeterMappingView> {
    return toMeterMappingView(await this.createMapping.execute(principal, dto));
  }

  @Get()
  @ApiOperation({ summary: 'List meter mappings', description: 'Ordered by meter_id, paged with limit/offset.' })
  @ApiOkResponse({ type: MeterMappingPageView })
  @ApiBadRequestResponse({ type: ErrorView })
  list(@CurrentTenant() principal: TenantPrincipal, @Query() query: ListMeterMappingsQuery): Promise<MeterMappingPageView> {
    return this.listMappings.execute(principal, query);
  }

  @Get(':meter_id')
  @ApiOperation({ summary: 'Read the mapping of one meter' })
  @ApiOkResponse({ type: MeterMappingView })
  @ApiNotFoundResponse({ type: ErrorView })
  async get(@CurrentTenant() principal: TenantPrincipal, @Param('meter_id') meterId: string): Promise<MeterMappingView> {
    return toMeterMappingView(await this.getMapping.execute(principal, meterId));
  }

  @Patch(':meter_id')
  @ApiOperation({ summary: 'Change provider_meter_id, sync_enabled or value_precision' })
  @ApiBody({ type: UpdateMeterMappingDto })
  @ApiOkResponse({ type: MeterMappingView })
  @ApiBadRequestResponse({ type: ErrorView })
  @ApiNotFoundResponse({ type: ErrorView })
  async update(
    @CurrentTenant() principal: TenantPrincipal,
    @Param('meter_id') meterId: string,
    @Body() dto: UpdateMeterMappingDto,
  ): Promise<MeterMappingView> {
    return toMeterMappingView(await this.updateMapping.execute(principal, meterId, dto));
  }

  @Delete(':meter_id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete the mapping of one meter' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiNotFoundResponse({ type: ErrorView })
  async delete(@CurrentTenant() principal: TenantPrincipal, @Param('meter_id') meterId: string): Promise<void> {
    await this.deleteMapping.execute(principal, meterId);
  }
}
