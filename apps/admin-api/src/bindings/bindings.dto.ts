import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsAmqpName } from '../common/amqp-name.js';
import { IsObject, IsOptional, IsString } from 'class-validator';

/** `POST /api/bindings/{vhost}/e/{source}/{q|e}/{destination}`. */
export class CreateBindingDto {
  @ApiPropertyOptional({ default: '' })
  @IsOptional()
  @IsString()
  @IsAmqpName()
  routing_key: string = '';

  @ApiPropertyOptional({ default: {} })
  @IsOptional()
  @IsObject()
  arguments: Record<string, unknown> = {};
}
