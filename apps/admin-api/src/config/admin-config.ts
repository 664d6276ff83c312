// The admin API's settings are parsed by the shared configuration schema, the same one the broker uses.
export { loadAdminConfig, type AdminConfig, type BrokerEndpoint } from '@app/config';

/** Injection token of the {@link AdminConfig}. */
export const ADMIN_CONFIG = Symbol('ADMIN_CONFIG');
