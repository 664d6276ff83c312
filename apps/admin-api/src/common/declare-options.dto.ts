import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsObject, IsOptional } from 'class-validator';

/** The body fields a queue and an exchange declaration share (`PUT /api/{queues,exchanges}/{vhost}/{name}`), with RabbitMQ's defaults. */
export class DeclareOptionsDto {
  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  durable: boolean = true;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  auto_delete: boolean = false;

  @ApiPropertyOptional({ default: {} })
  @IsOptional()
  @IsObject()
  arguments: Record<string, unknown> = {};
}

/** `?if-unused=true` on `DELETE /api/{queues,exchanges}/{vhost}/{name}`: delete only when nothing uses it. */
export class IfUnusedQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsIn(['true', 'false'])
  'if-unused'?: string;
}
