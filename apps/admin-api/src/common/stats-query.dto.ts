import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * RabbitMQ's statistics query parameters: `disable_stats=true` leaves the statistics out; the sample windows (seconds): `lengths_age`/`lengths_incr` add `samples` to queue length
 * `_details`, `msg_rates_age`/`msg_rates_incr` to `message_stats` `_details`. Passed through to the broker.
 */
export class StatsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 86400, description: 'seconds of queue length samples' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  lengths_age?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 86400, description: 'seconds between queue length samples' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  lengths_incr?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 86400, description: 'seconds of message rate samples' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  msg_rates_age?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 86400, description: 'seconds between message rate samples' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  msg_rates_incr?: number;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: "'true' leaves out message_stats and the _details (faster lists)" })
  @IsOptional()
  @IsIn(['true', 'false'])
  disable_stats?: string;
}

/** The sample-window parameters of a query, for the broker request (absent ones left out). */
export function statsParams(query: StatsQueryDto): StatsQueryDto {
  const out: StatsQueryDto = {};
  if (query.lengths_age !== undefined) out.lengths_age = query.lengths_age;
  if (query.lengths_incr !== undefined) out.lengths_incr = query.lengths_incr;
  if (query.msg_rates_age !== undefined) out.msg_rates_age = query.msg_rates_age;
  if (query.msg_rates_incr !== undefined) out.msg_rates_incr = query.msg_rates_incr;
  if (query.disable_stats === 'true') out.disable_stats = 'true';
  return out;
}
