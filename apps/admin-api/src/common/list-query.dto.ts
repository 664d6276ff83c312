import { HttpException } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { StatsQueryDto } from './stats-query.dto.js';

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/**
 * RabbitMQ's list query parameters: paging, name filter, sorting, sample windows and `disable_stats` (`columns` is
 * accepted and ignored).
 */
export class ListQueryDto extends StatsQueryDto {
  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  page_size?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  use_regex?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  sort?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  sort_reverse?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  columns?: string;
}

/** RabbitMQ's paged answer (only when `page` is given). */
export interface Page<T> {
  filtered_count: number;
  item_count: number;
  items: T[];
  page: number;
  page_count: number;
  page_size: number;
  total_count: number;
}

function valueAt(item: unknown, path: string): unknown {
  let value = item;
  for (const key of path.split('.'))
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

/** Filters, sorts and pages a list as RabbitMQ does; an invalid regex is a 400. */
export function applyListQuery<T>(items: T[], query: ListQueryDto): T[] | Page<T> {
  let filtered = items;
  if (query.name !== undefined && query.name !== '') {
    const name = query.name;
    let test: (candidate: string) => boolean;
    if (query.use_regex) {
      let regex: RegExp;
      try {
        regex = new RegExp(name);
      } catch (error) {
        throw new HttpException({ error: 'bad_request', reason: `invalid regex: ${(error as Error).message}` }, 400);
      }
      test = (candidate) => regex.test(candidate);
    } else {
      const needle = name.toLowerCase();
      test = (candidate) => candidate.toLowerCase().includes(needle);
    }
    filtered = items.filter((item) => test(String(valueAt(item, 'name') ?? '')));
  }
  if (query.sort) {
    const key = query.sort;
    filtered = [...filtered].sort((a, b) => compare(valueAt(a, key), valueAt(b, key)));
  }
  if (query.sort_reverse) filtered = [...filtered].reverse();
  if (query.page === undefined) return filtered;
  const pageSize = query.page_size ?? 100;
  const pageCount = Math.max(1, Math.ceil(filtered.length / pageSize));
  const pageItems = filtered.slice((query.page - 1) * pageSize, query.page * pageSize);
  return {
    filtered_count: filtered.length,
    item_count: pageItems.length,
    items: pageItems,
    page: query.page,
    page_count: pageCount,
    page_size: pageSize,
    total_count: items.length,
  };
}
