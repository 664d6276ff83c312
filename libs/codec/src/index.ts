// Public API of the AMQP 0-9-1 wire codec: pure functions over Buffer, no Nest, no I/O.
export * from './constants.js';
export * from './codec-error.js';
export * from './field-table.js';
export * from './content-properties.js';
export * from './frame-decoder.js';
export * from './frame-encoder.js';
export * from './generated/methods.js';
export * from './shortstr-rules.js';
