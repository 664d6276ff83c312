import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

// Regexes are checked by the broker (they must compile; at most 512 characters), which answers 400 with the reason.

/** `PUT /api/permissions/{vhost}/{user}`: RabbitMQ's three regexes, all required. */
export class PutPermissionsDto {
  @ApiProperty({ example: '.*' })
  @IsString()
  @MaxLength(4096)
  configure!: string;

  @ApiProperty({ example: '.*' })
  @IsString()
  @MaxLength(4096)
  write!: string;

  @ApiProperty({ example: '.*' })
  @IsString()
  @MaxLength(4096)
  read!: string;
}

/** `PUT /api/topic-permissions/{vhost}/{user}`: the topic exchange and its routing-key regexes. */
export class PutTopicPermissionsDto {
  @ApiProperty({ example: 'amq.topic' })
  @IsString()
  @MaxLength(255)
  exchange!: string;

  @ApiProperty({ example: '^{username}\\.' })
  @IsString()
  @MaxLength(4096)
  write!: string;

  @ApiProperty({ example: '.*' })
  @IsString()
  @MaxLength(4096)
  read!: string;
}
