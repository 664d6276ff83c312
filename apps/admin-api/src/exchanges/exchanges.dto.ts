import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsObject, IsOptional, IsString } from 'class-validator';
import { DeclareOptionsDto, IfUnusedQueryDto } from '../common/declare-options.dto.js';

/** `PUT /api/exchanges/{vhost}/{name}`: only `type` is required, as in RabbitMQ. */
export class DeclareExchangeDto extends DeclareOptionsDto {
  @ApiProperty({ example: 'direct' })
  @IsString()
  @IsNotEmpty()
  type!: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  internal: boolean = false;
}

/** `POST /api/exchanges/{vhost}/{name}/publish`: all four fields required, as in RabbitMQ. */
export class PublishDto {
  @ApiProperty({ example: {} })
  @IsObject()
  properties!: Record<string, unknown>;

  @ApiProperty({ example: 'orders.created' })
  @IsString()
  routing_key!: string;

  @ApiProperty()
  @IsString()
  payload!: string;

  @ApiProperty({ enum: ['string', 'base64'] })
  @IsIn(['string', 'base64'])
  payload_encoding!: 'string' | 'base64';
}

/** `POST /api/exchanges/{vhost}/{name}/route`: what a publish with this key and headers would reach. */
export class RouteDto {
  @ApiPropertyOptional({ default: '' })
  @IsOptional()
  @IsString()
  routing_key: string = '';

  @ApiPropertyOptional()
  @IsOptional()
  @IsObject()
  headers?: Record<string, unknown>;
}

/** `DELETE /api/exchanges/{vhost}/{name}?if-unused=true`. */
export class DeleteExchangeQueryDto extends IfUnusedQueryDto {}
