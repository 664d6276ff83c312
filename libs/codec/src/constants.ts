export * from './generated/constants.js';

/** Bytes before a frame's payload: type (1), channel (2), payload size (4). */
export const FRAME_HEADER_SIZE = 7;

/** Bytes a frame adds around its payload: the 7-byte frame header plus the frame-end octet. */
export const FRAME_OVERHEAD = 8;

/** Largest integer a longlong may carry here: longlongs are JS numbers, so anything above 2^53-1 is refused. */
export const MAX_LONGLONG = Number.MAX_SAFE_INTEGER;
