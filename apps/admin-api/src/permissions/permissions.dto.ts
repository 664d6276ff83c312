import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

// Regexes are checked by the broker (they must compile; at most 512 characters), which answers 400 with the reason.

/** A required permission regex in a request body (4096 characters at most here; the broker checks the rest). */
function PermissionRegex(example: string): PropertyDecorator {
  // Listed bottom-up, the order stacked decorators apply in, so validation messages keep their order.
  return applyDecorators(MaxLength(4096), IsString(), ApiProperty({ example }));
}

/** `PUT /api/permissions/{vhost}/{user}`: RabbitMQ's three regexes, all required. */
export class PutPermissionsDto {
  @PermissionRegex('.*')
  configure!: string;

  @PermissionRegex('.*')
  write!: string;

  @PermissionRegex('.*')
  read!: string;
}

/** `PUT /api/topic-permissions/{vhost}/{user}`: the topic exchange and its routing-key regexes. */
export class PutTopicPermissionsDto {
  @ApiProperty({ example: 'amq.topic' })
  @IsString()
  @MaxLength(255)
  exchange!: string;

  @PermissionRegex('^{username}\\.')
  write!: string;

  @PermissionRegex('.*')
  read!: string;
}
