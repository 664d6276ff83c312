// The management contract between the admin API and the broker: reserved names, request patterns, request and
// response types and the message format. Both sides import it, so nothing of it is written twice.
export * from './management-names.js';
export * from './management-patterns.js';
export * from './management-messages.js';
export * from './management-envelope.js';
export * from './list-page.js';
