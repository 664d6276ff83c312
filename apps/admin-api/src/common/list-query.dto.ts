import { HttpException } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { InvalidListQueryError, pageList, type ListPage, type ListPageQuery } from '@app/management-contract';

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** RabbitMQ's list query parameters: paging, name filter, sorting (`columns` and `disable_stats` are accepted and ignored). */
export class ListQueryDto {
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

  @ApiPropertyOptional()
  @IsOptional()
  @IsIn(['true', 'false'])
  disable_stats?: string;
}

/** RabbitMQ's paged answer (only when `page` is given). */
export type Page<T> = ListPage<T>;

/** Filters, sorts and pages a list as RabbitMQ does (`pageList`); an invalid regex is a 400. */
export function applyListQuery<T>(items: T[], query: ListQueryDto): T[] | Page<T> {
  try {
    return pageList(items, query);
  } catch (error) {
    if (error instanceof InvalidListQueryError) throw new HttpException({ error: 'bad_request', reason: error.message }, 400);
    throw error;
  }
}

/** The query's paging fields for a broker-side page (`page` given). */
export function pageQueryOf(query: ListQueryDto & { page: number }): ListPageQuery & { page: number } {
  const { page, page_size, name, use_regex, sort, sort_reverse } = query;
  return { page, page_size, name, use_regex, sort, sort_reverse };
}
