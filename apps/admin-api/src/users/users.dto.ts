import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';

/** `hashing_algorithm` values a user PUT may name: RabbitMQ's, and Warren's own scrypt export. */
export const HASHING_ALGORITHMS = [
  'rabbit_password_hashing_sha256',
  'rabbit_password_hashing_sha512',
  'rabbit_password_hashing_md5',
  'warren_password_hashing_scrypt',
] as const;

/** class-validator: a comma-separated string or an array of strings (RabbitMQ accepts both for `tags`). */
function IsTags(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTags',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' || (Array.isArray(value) && value.length <= 64 && value.every((tag) => typeof tag === 'string')),
        defaultMessage: () => 'tags must be a comma-separated string or an array of strings',
      },
    },
    options,
  );
}

/**
 * `PUT /api/users/{name}`: `password`, or `password_hash` (with `hashing_algorithm`, RabbitMQ's sha256 by default),
 * or neither for a user without password; `tags` as `"a,b"` or `["a","b"]`.
 */
export class PutUserDto {
  @ApiPropertyOptional({ description: 'clear-text password (hashed by the broker, never stored or echoed)' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  password?: string;

  @ApiPropertyOptional({ description: 'base64 salt ‖ digest, as a RabbitMQ or Warren export writes it' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password_hash?: string;

  @ApiPropertyOptional({ enum: HASHING_ALGORITHMS })
  @IsOptional()
  @IsIn(HASHING_ALGORITHMS)
  hashing_algorithm?: string;

  @ApiPropertyOptional({ description: 'administrator, monitoring, policymaker, management, impersonator', example: 'management' })
  @IsOptional()
  @IsTags()
  tags?: string | string[];
}

/** `POST /api/users/bulk-delete`. */
export class BulkDeleteUsersDto {
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  users!: string[];
}
