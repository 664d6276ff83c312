import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsAmqpName } from '../common/amqp-name.js';
import { IsArray, IsBoolean, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';

/** One exchange of a definitions file. */
export class ExchangeDefinitionDto {
  @IsString() @IsNotEmpty() @IsAmqpName() name!: string;
  @IsOptional() @IsString() @IsAmqpName() vhost: string = '/';
  @IsString() @IsNotEmpty() type!: string;
  @IsOptional() @IsBoolean() durable: boolean = true;
  @IsOptional() @IsBoolean() auto_delete: boolean = false;
  @IsOptional() @IsBoolean() internal: boolean = false;
  @IsOptional() @IsObject() arguments: Record<string, unknown> = {};
}

/** One queue of a definitions file (`type` and `node` are accepted for RabbitMQ files and ignored). */
export class QueueDefinitionDto {
  @IsString() @IsNotEmpty() @IsAmqpName() name!: string;
  @IsOptional() @IsString() @IsAmqpName() vhost: string = '/';
  @IsOptional() @IsBoolean() durable: boolean = true;
  @IsOptional() @IsBoolean() auto_delete: boolean = false;
  @IsOptional() @IsObject() arguments: Record<string, unknown> = {};
  @IsOptional() @IsString() type?: string;
  @IsOptional() @IsString() node?: string;
}

/** One binding of a definitions file. */
export class BindingDefinitionDto {
  @IsString() @IsNotEmpty() @IsAmqpName() source!: string;
  @IsOptional() @IsString() @IsAmqpName() vhost: string = '/';
  @IsString() @IsNotEmpty() @IsAmqpName() destination!: string;
  @IsIn(['queue', 'exchange']) destination_type!: 'queue' | 'exchange';
  @IsOptional() @IsString() @IsAmqpName() routing_key: string = '';
  @IsOptional() @IsObject() arguments: Record<string, unknown> = {};
}

/**
 * `POST /api/definitions`: RabbitMQ's definitions file. Users, vhosts, permissions, topic permissions, exchanges,
 * queues and bindings are imported (the broker checks the access entries); policies and parameters are accepted (so
 * RabbitMQ exports load) but not applied.
 */
export class DefinitionsDto {
  @ApiPropertyOptional({ type: [ExchangeDefinitionDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ExchangeDefinitionDto)
  exchanges: ExchangeDefinitionDto[] = [];

  @ApiPropertyOptional({ type: [QueueDefinitionDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => QueueDefinitionDto)
  queues: QueueDefinitionDto[] = [];

  @ApiPropertyOptional({ type: [BindingDefinitionDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => BindingDefinitionDto)
  bindings: BindingDefinitionDto[] = [];

  @IsOptional() @IsString() rabbit_version?: string;
  @IsOptional() @IsString() rabbitmq_version?: string;
  @IsOptional() @IsString() product_name?: string;
  @IsOptional() @IsString() product_version?: string;
  @IsOptional() @IsArray() users?: unknown[];
  @IsOptional() @IsArray() vhosts?: unknown[];
  @IsOptional() @IsArray() permissions?: unknown[];
  @IsOptional() @IsArray() topic_permissions?: unknown[];
  @IsOptional() @IsArray() parameters?: unknown[];
  @IsOptional() @IsArray() global_parameters?: unknown[];
  @IsOptional() @IsArray() policies?: unknown[];
}
