/**
 * A change to users, vhosts or permissions that running connections must hear about. The core emits them once the
 * change is applied in memory (before it is durable); the server closes affected connections with 320.
 */
export type AccessChange =
  | { readonly kind: 'user.deleted'; readonly user: string }
  | { readonly kind: 'user.password-changed'; readonly user: string }
  | { readonly kind: 'vhost.deleted'; readonly vhost: string }
  | { readonly kind: 'permissions.changed'; readonly user: string; readonly vhost: string };

/** Receives access changes; called synchronously, must not throw. */
export type AccessListener = (change: AccessChange) => void;

/** A tiny synchronous event hub for {@link AccessChange}s (no Node EventEmitter: typed, and nothing per message). */
export class AccessEvents {
  private readonly listeners = new Set<AccessListener>();

  /** Adds a listener; returns the function that removes it. */
  on(listener: AccessListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener. */
  emit(change: AccessChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

/** Why a user, vhost or permission call was refused: the admin API maps `code` to an HTTP status. */
export type AccessControlErrorCode = 'not-found' | 'already-exists' | 'invalid';

/** A refused user, vhost or permission call (unknown user, duplicate, bad regex or hash). */
export class AccessControlError extends Error {
  constructor(
    readonly code: AccessControlErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AccessControlError';
  }
}
