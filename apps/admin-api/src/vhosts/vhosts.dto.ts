import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';

/** `PUT /api/vhosts/{vhost}`: RabbitMQ's optional fields, accepted; Warren keeps no description, tags or tracing. */
export class PutVhostDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  description?: string;

  @ApiPropertyOptional()
  @IsOptional()
  tags?: unknown;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  default_queue_type?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  tracing?: boolean;
}
