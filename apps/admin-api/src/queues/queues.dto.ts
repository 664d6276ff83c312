import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Min } from 'class-validator';
import { DeclareOptionsDto, IfUnusedQueryDto } from '../common/declare-options.dto.js';

/** `PUT /api/queues/{vhost}/{name}`: every field optional, as in RabbitMQ. */
export class DeclareQueueDto extends DeclareOptionsDto {}

/** `POST /api/queues/{vhost}/{name}/get`. */
export class GetMessagesDto {
  @ApiProperty({ minimum: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  count!: number;

  @ApiProperty({ enum: ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'] })
  @IsIn(['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'])
  ackmode!: string;

  @ApiProperty({ enum: ['auto', 'base64'] })
  @IsIn(['auto', 'base64'])
  encoding!: string;

  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  truncate?: number;
}

/** `DELETE /api/queues/{vhost}/{name}?if-empty=true&if-unused=true`. */
export class DeleteQueueQueryDto extends IfUnusedQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsIn(['true', 'false'])
  'if-empty'?: string;
}
