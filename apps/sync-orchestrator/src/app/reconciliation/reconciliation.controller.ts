import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { CurrentTenant, TenantAdmin, TenantPrincipal } from '@flexsync/auth';
import { ReconciliationReportStore } from '@flexsync/sync-pipeline';
import { decodeCellCursor, encodeCellCursor } from './reconciliation-cursor';
import { ReconciliationRangeReader } from './reconciliation-range';
import {
  ReconciliationPageView,
  ReconciliationQueryDto,
  ReconciliationRangeDto,
  ReconciliationStartedView,
  toCellView,
  toRunView,
} from './reconciliation.dto';
import { StartReconciliation } from './start-reconciliation.use-case';

const DEFAULT_PAGE_SIZE = 100;

@ApiTags('sync')
@TenantAdmin({ operators: true })
@Controller('v1/stripe/sync')
/** Reconciliation against Stripe's own meter totals: the stored verdicts (GET) and a run on demand (POST). */
export class ReconciliationController {
  constructor(
    private readonly ranges: ReconciliationRangeReader,
    private readonly store: ReconciliationReportStore,
    private readonly start: StartReconciliation,
  ) {}

  @Get('reconciliation')
  @ApiOperation({
    summary: 'Reconciliation verdicts per customer × meter × window (match, drift, pending, unknown_outcome), with totals per status',
    description:
      'Reads the newest stored verdict of every window overlapping the range (from the daily, hourly or API runs). ' +
      'A range nobody has reconciled yet lists no cells: POST runs one.',
  })
  @ApiOkResponse({ type: ReconciliationPageView })
  @ApiBadRequestResponse({ description: 'malformed date, range over 35 days, unknown meter, bad cursor' })
  @ApiNotFoundResponse({ description: 'no Stripe config for this tenant and environment' })
  async read(@CurrentTenant() principal: TenantPrincipal, @Query() query: ReconciliationQueryDto): Promise<ReconciliationPageView> {
    const range = await this.ranges.resolve(principal, query);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const page = await this.store.cells(principal, {
      timeFrom: new Date(range.timeFrom),
      timeTo: new Date(range.timeTo),
      ...(range.customerId === undefined ? {} : { customerId: range.customerId }),
      ...(range.meterId === undefined ? {} : { meterId: range.meterId }),
      limit,
      ...(query.cursor === undefined ? {} : { after: decodeCellCursor(query.cursor) }),
    });
    const lastRun = await this.store.latestRun(principal, new Date(range.timeFrom), new Date(range.timeTo));
    const last = page.cells[page.cells.length - 1];
    return {
      time_from: range.timeFrom,
      time_to: range.timeTo,
      totals: page.totals,
      drift_units: page.driftUnits,
      cells: page.cells.map(toCellView),
      next_cursor: page.hasMore && last !== undefined ? encodeCellCursor(last) : null,
      last_run: lastRun === undefined ? null : toRunView(lastRun),
    };
  }

  @Post('reconciliation')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Reconcile now',
    description:
      'Starts a reconciliation of the range on the sync worker: unknown pushes are settled from Stripe’s totals, missing ones ' +
      're-sent once under a new identifier, every cell judged and stored; read the result with GET.',
  })
  @ApiAcceptedResponse({ type: ReconciliationStartedView })
  @ApiBadRequestResponse({ description: 'malformed date, range over 35 days, unknown meter' })
  @ApiNotFoundResponse({ description: 'no Stripe config for this tenant and environment' })
  @ApiTooManyRequestsResponse({ description: 'a reconciliation of this tenant and environment is already running' })
  @ApiServiceUnavailableResponse({ description: 'Temporal unavailable' })
  async run(@CurrentTenant() principal: TenantPrincipal, @Body() body: ReconciliationRangeDto): Promise<ReconciliationStartedView> {
    return this.start.execute(principal, await this.ranges.resolve(principal, body));
  }
}
