import { createHash, randomBytes } from 'node:crypto';

/** How a stored password hash was made: Warren's scrypt, or one of RabbitMQ's salted single-round digests (imported). */
export type PasswordHashingAlgorithm =
  'scrypt' | 'rabbit_password_hashing_sha256' | 'rabbit_password_hashing_sha512' | 'rabbit_password_hashing_md5';

/** A stored password: algorithm, salt and hash; never the password. */
export interface PasswordHash {
  readonly algorithm: PasswordHashingAlgorithm;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** RabbitMQ's hashing modules and the digest each applies to salt ‖ utf8(password). */
const RABBIT_DIGESTS: Readonly<Record<string, string>> = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
};

/** RabbitMQ's salt length (`rabbit_password:generate_salt/0`: 4 random bytes). */
const RABBIT_SALT_BYTES = 4;

/** Error of a definitions import or user API call: a malformed `password_hash` or an unknown `hashing_algorithm`. */
export class PasswordHashError extends Error {}

/** Whether `algorithm` names one of RabbitMQ's hashing modules Warren can import. */
export function isRabbitHashingAlgorithm(algorithm: string): algorithm is Exclude<PasswordHashingAlgorithm, 'scrypt'> {
  return Object.hasOwn(RABBIT_DIGESTS, algorithm);
}

/**
 * Decodes a RabbitMQ definitions file's `password_hash` (base64 of salt(4) ‖ digest(salt ‖ utf8 password)) for
 * `hashing_algorithm` (RabbitMQ's default when absent: `rabbit_password_hashing_sha256`). Throws PasswordHashError.
 */
export function parseRabbitPasswordHash(passwordHash: string, hashingAlgorithm = 'rabbit_password_hashing_sha256'): PasswordHash {
  if (!isRabbitHashingAlgorithm(hashingAlgorithm)) {
    throw new PasswordHashError(`auth: unsupported hashing_algorithm '${hashingAlgorithm}'`);
  }
  const bytes = Buffer.from(passwordHash, 'base64');
  const digestLength = createHash(RABBIT_DIGESTS[hashingAlgorithm]!).digest().length;
  if (bytes.length !== RABBIT_SALT_BYTES + digestLength || bytes.toString('base64') !== passwordHash.replace(/\s/g, '')) {
    throw new PasswordHashError(`auth: password_hash is not a base64 ${hashingAlgorithm} hash`);
  }
  return { algorithm: hashingAlgorithm, salt: bytes.subarray(0, RABBIT_SALT_BYTES), hash: bytes.subarray(RABBIT_SALT_BYTES) };
}

/** RabbitMQ's digest of a password with `salt` (synchronous: one round of a fast hash, as RabbitMQ does). */
export function rabbitDigest(algorithm: Exclude<PasswordHashingAlgorithm, 'scrypt'>, salt: Buffer, password: string): Buffer {
  return createHash(RABBIT_DIGESTS[algorithm]!).update(salt).update(password, 'utf8').digest();
}

/** A RabbitMQ-format `password_hash` for `password` (base64 of salt ‖ digest), as `rabbitmqctl hash_password` prints. */
export function rabbitPasswordHash(
  password: string,
  algorithm: Exclude<PasswordHashingAlgorithm, 'scrypt'> = 'rabbit_password_hashing_sha256',
): string {
  const salt = randomBytes(RABBIT_SALT_BYTES);
  return Buffer.concat([salt, rabbitDigest(algorithm, salt, password)]).toString('base64');
}
