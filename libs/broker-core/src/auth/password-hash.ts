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

/**
 * The `hashing_algorithm` Warren exports its own scrypt hashes under (N = 2^14, r = 8, p = 1, 32-byte key; the
 * `password_hash` is base64 of salt(16) ‖ key), so an export imported into another Warren logs in unchanged.
 */
export const WARREN_SCRYPT_ALGORITHM = 'warren_password_hashing_scrypt';

const SCRYPT_SALT_BYTES = 16;
const SCRYPT_KEY_BYTES = 32;

/** A stored hash as a definitions file writes it: `password_hash` (empty for a user without password) and its algorithm. */
export function formatPasswordHash(hash: PasswordHash): { password_hash: string; hashing_algorithm: string } {
  if (hash.hash.length === 0) return { password_hash: '', hashing_algorithm: 'rabbit_password_hashing_sha256' };
  const algorithm = hash.algorithm === 'scrypt' ? WARREN_SCRYPT_ALGORITHM : hash.algorithm;
  return { password_hash: Buffer.concat([hash.salt, hash.hash]).toString('base64'), hashing_algorithm: algorithm };
}

/**
 * Decodes a definitions file's or the HTTP API's `password_hash` for `hashingAlgorithm`: one of RabbitMQ's (see
 * {@link parseRabbitPasswordHash}) or {@link WARREN_SCRYPT_ALGORITHM}. Throws PasswordHashError.
 */
export function parsePasswordHash(passwordHash: string, hashingAlgorithm = 'rabbit_password_hashing_sha256'): PasswordHash {
  if (hashingAlgorithm !== WARREN_SCRYPT_ALGORITHM) return parseRabbitPasswordHash(passwordHash, hashingAlgorithm);
  const bytes = Buffer.from(passwordHash, 'base64');
  if (bytes.length !== SCRYPT_SALT_BYTES + SCRYPT_KEY_BYTES || bytes.toString('base64') !== passwordHash.replace(/\s/g, '')) {
    throw new PasswordHashError(`auth: password_hash is not a base64 ${WARREN_SCRYPT_ALGORITHM} hash`);
  }
  return { algorithm: 'scrypt', salt: bytes.subarray(0, SCRYPT_SALT_BYTES), hash: bytes.subarray(SCRYPT_SALT_BYTES) };
}

/** Whether `algorithm` is a `hashing_algorithm` Warren can import. */
export function isImportableHashingAlgorithm(algorithm: string): boolean {
  return algorithm === WARREN_SCRYPT_ALGORITHM || isRabbitHashingAlgorithm(algorithm);
}
