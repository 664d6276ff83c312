import { FRAME_HEADER_SIZE, FRAME_OVERHEAD } from './constants.js';
import { FRAME_BODY, FRAME_END, FRAME_HEARTBEAT } from './generated/constants.js';

/** A heartbeat frame on channel 0, shared: it never changes, so it is never re-encoded. Do not write into it. */
export const HEARTBEAT_FRAME: Buffer = Buffer.from([FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END]);

/** The protocol header a client sends first, `AMQP\0\0\x09\x01` (0-9-1 §4.2.2); a server answers a bad one with it. */
export const PROTOCOL_HEADER: Buffer = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

/**
 * Writes one body frame carrying body[start..end) at offset and returns the offset after its frame-end octet;
 * the caller keeps end - start within frameMax - 8.
 */
export function writeBodyFrame(target: Buffer, offset: number, channel: number, body: Buffer, start: number, end: number): number {
  target.writeUInt8(FRAME_BODY, offset);
  target.writeUInt16BE(channel, offset + 1);
  target.writeUInt32BE(end - start, offset + 3);
  const p = offset + FRAME_HEADER_SIZE;
  if (body.copy(target, p, start, end) !== end - start) {
    throw new RangeError(`codec: target too small for a body frame at offset ${offset}`);
  }
  return target.writeUInt8(FRAME_END, p + end - start);
}

/** Total bytes of the body frames for a body split at frameMax - 8 payload bytes per frame; 0 for an empty body. */
export function bodyFramesSize(bodySize: number, frameMax: number): number {
  const frames = Math.ceil(bodySize / maxBodyPayload(frameMax));
  return bodySize + frames * FRAME_OVERHEAD;
}

/**
 * Writes body as as many body frames as frameMax requires (none for an empty body, as 0-9-1 §4.2.6.2 allows)
 * and returns the offset after the last one.
 */
export function writeBodyFrames(target: Buffer, offset: number, channel: number, body: Buffer, frameMax: number): number {
  const step = maxBodyPayload(frameMax);
  let p = offset;
  for (let start = 0; start < body.length; start += step) {
    p = writeBodyFrame(target, p, channel, body, start, Math.min(start + step, body.length));
  }
  return p;
}

function maxBodyPayload(frameMax: number): number {
  // frameMax 0 means "no limit" only in tune negotiation; here it must be the negotiated size.
  if (!Number.isInteger(frameMax) || frameMax <= FRAME_OVERHEAD) {
    throw new RangeError(`codec: frameMax must be an integer above ${FRAME_OVERHEAD}, got ${frameMax}`);
  }
  return frameMax - FRAME_OVERHEAD;
}
