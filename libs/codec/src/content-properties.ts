import { FRAME_HEADER_SIZE, FRAME_OVERHEAD } from './constants.js';
import { CLASS_BASIC, FRAME_END, FRAME_HEADER, ReplyCode } from './generated/constants.js';
import { readTableFrom } from './field-table-reader.js';
import { fieldTableSize, writeFieldTable, type FieldTable } from './field-table.js';
import { ReaderContext, WireReader } from './wire-reader.js';
import { shortstrSize, writeLonglong, writeLonglongExact, writeShortstr } from './wire-writer.js';

/** The 14 content properties of class basic; an absent (undefined) property is not sent. */
export interface BasicProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: FieldTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  /**
   * Seconds since the epoch (AMQP timestamp, a uint64): a number up to 2^53-1, a bigint above, so every value a
   * client sends round-trips exactly (RabbitMQ carries any uint64).
   */
  timestamp?: number | bigint;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

// Property flag bits, highest first in spec order (0-9-1 §4.2.6.1: bit 15 is the first property).
const CONTENT_TYPE = 0x8000;
const CONTENT_ENCODING = 0x4000;
const HEADERS = 0x2000;
const DELIVERY_MODE = 0x1000;
const PRIORITY = 0x0800;
const CORRELATION_ID = 0x0400;
const REPLY_TO = 0x0200;
const EXPIRATION = 0x0100;
const MESSAGE_ID = 0x0080;
const TIMESTAMP = 0x0040;
const TYPE = 0x0020;
const USER_ID = 0x0010;
const APP_ID = 0x0008;
const CLUSTER_ID = 0x0004;
/** Bit 1 names no basic property and bit 0 continues into a flag word basic does not have. */
const UNDEFINED_FLAGS = 0x0003;

/** Content header payload before the properties: class-id (2), weight (2), body-size (8). */
const HEADER_FIXED_SIZE = 12;

const reader = new WireReader();

/** Bytes of the encoded properties: the flag word plus every present property value. */
export function propertiesSize(p: BasicProperties): number {
  let size = 2;
  if (p.contentType != null) size += shortstrSize(p.contentType);
  if (p.contentEncoding != null) size += shortstrSize(p.contentEncoding);
  if (p.headers != null) size += fieldTableSize(p.headers);
  if (p.deliveryMode != null) size += 1;
  if (p.priority != null) size += 1;
  if (p.correlationId != null) size += shortstrSize(p.correlationId);
  if (p.replyTo != null) size += shortstrSize(p.replyTo);
  if (p.expiration != null) size += shortstrSize(p.expiration);
  if (p.messageId != null) size += shortstrSize(p.messageId);
  if (p.timestamp != null) size += 8;
  if (p.type != null) size += shortstrSize(p.type);
  if (p.userId != null) size += shortstrSize(p.userId);
  if (p.appId != null) size += shortstrSize(p.appId);
  if (p.clusterId != null) size += shortstrSize(p.clusterId);
  return size;
}

/** Writes the flag word and property values at offset and returns the offset after them. */
export function writeProperties(target: Buffer, offset: number, p: BasicProperties): number {
  // The flag word is back-filled once the present properties are known.
  let flags = 0;
  let o = offset + 2;
  if (p.contentType != null) {
    flags |= CONTENT_TYPE;
    o = writeShortstr(target, o, p.contentType);
  }
  if (p.contentEncoding != null) {
    flags |= CONTENT_ENCODING;
    o = writeShortstr(target, o, p.contentEncoding);
  }
  if (p.headers != null) {
    flags |= HEADERS;
    o = writeFieldTable(target, o, p.headers);
  }
  if (p.deliveryMode != null) {
    flags |= DELIVERY_MODE;
    o = target.writeUInt8(p.deliveryMode, o);
  }
  if (p.priority != null) {
    flags |= PRIORITY;
    o = target.writeUInt8(p.priority, o);
  }
  if (p.correlationId != null) {
    flags |= CORRELATION_ID;
    o = writeShortstr(target, o, p.correlationId);
  }
  if (p.replyTo != null) {
    flags |= REPLY_TO;
    o = writeShortstr(target, o, p.replyTo);
  }
  if (p.expiration != null) {
    flags |= EXPIRATION;
    o = writeShortstr(target, o, p.expiration);
  }
  if (p.messageId != null) {
    flags |= MESSAGE_ID;
    o = writeShortstr(target, o, p.messageId);
  }
  if (p.timestamp != null) {
    flags |= TIMESTAMP;
    o = writeLonglongExact(target, o, p.timestamp);
  }
  if (p.type != null) {
    flags |= TYPE;
    o = writeShortstr(target, o, p.type);
  }
  if (p.userId != null) {
    flags |= USER_ID;
    o = writeShortstr(target, o, p.userId);
  }
  if (p.appId != null) {
    flags |= APP_ID;
    o = writeShortstr(target, o, p.appId);
  }
  if (p.clusterId != null) {
    flags |= CLUSTER_ID;
    o = writeShortstr(target, o, p.clusterId);
  }
  target.writeUInt16BE(flags, offset);
  return o;
}

/**
 * Decodes properties from raw[start..end), which must begin at the flag word and hold nothing after the last
 * property: truncation and trailing bytes are FRAME_ERROR (501), flag bits naming no basic property SYNTAX_ERROR
 * (502).
 */
export function decodeProperties(raw: Buffer, start = 0, end = raw.length): BasicProperties {
  const r = reader;
  r.reset(raw, start, end, CLASS_BASIC, 0, ReaderContext.Properties);
  const flags = r.short();
  if ((flags & UNDEFINED_FLAGS) !== 0) {
    throw r.error(
      ReplyCode.SYNTAX_ERROR,
      `SYNTAX_ERROR - property flags 0x${flags.toString(16).padStart(4, '0')} name properties basic does not have`,
    );
  }
  const p: BasicProperties = {};
  if (flags !== 0) {
    if (flags & CONTENT_TYPE) p.contentType = r.shortstr();
    if (flags & CONTENT_ENCODING) p.contentEncoding = r.shortstr();
    if (flags & HEADERS) p.headers = readTableFrom(r, 0);
    if (flags & DELIVERY_MODE) p.deliveryMode = r.octet();
    if (flags & PRIORITY) p.priority = r.octet();
    if (flags & CORRELATION_ID) p.correlationId = r.shortstr();
    if (flags & REPLY_TO) p.replyTo = r.shortstr();
    if (flags & EXPIRATION) p.expiration = r.shortstr();
    if (flags & MESSAGE_ID) p.messageId = r.shortstr();
    if (flags & TIMESTAMP) p.timestamp = r.longlongExact();
    if (flags & TYPE) p.type = r.shortstr();
    if (flags & USER_ID) p.userId = r.shortstr();
    if (flags & APP_ID) p.appId = r.shortstr();
    if (flags & CLUSTER_ID) p.clusterId = r.shortstr();
  }
  r.done();
  r.release();
  return p;
}

/** Length of a whole content header frame: frame header, class/weight/body-size, properties and frame-end. */
export function headerFrameSize(p: BasicProperties): number {
  return FRAME_OVERHEAD + HEADER_FIXED_SIZE + propertiesSize(p);
}

/** Writes a content header frame at offset and returns the offset after its frame-end octet. */
export function writeHeaderFrame(
  target: Buffer,
  offset: number,
  channel: number,
  classId: number,
  bodySize: number,
  p: BasicProperties,
): number {
  const end = writeProperties(target, writeHeaderPrefix(target, offset, channel, classId, bodySize), p);
  return finishFrame(target, offset, end);
}

/** Encodes a content header frame into a buffer of exactly its size. */
export function encodeHeaderFrame(channel: number, classId: number, bodySize: number, p: BasicProperties): Buffer {
  const out = Buffer.allocUnsafe(headerFrameSize(p));
  writeHeaderFrame(out, 0, channel, classId, bodySize, p);
  return out;
}

/** Length of a content header frame whose properties are already encoded (flag word onwards). */
export function rawHeaderFrameSize(rawProperties: Buffer): number {
  return FRAME_OVERHEAD + HEADER_FIXED_SIZE + rawProperties.length;
}

/**
 * Writes a content header frame around already-encoded properties, so a delivery re-emits the publisher's bytes
 * without decoding or re-encoding them.
 */
export function writeRawHeaderFrame(
  target: Buffer,
  offset: number,
  channel: number,
  classId: number,
  bodySize: number,
  rawProperties: Buffer,
): number {
  const p = writeHeaderPrefix(target, offset, channel, classId, bodySize);
  if (rawProperties.copy(target, p) !== rawProperties.length) {
    throw new RangeError(`codec: target too small for a content header at offset ${offset}`);
  }
  return finishFrame(target, offset, p + rawProperties.length);
}

/** Writes frame type, channel, class, weight and body size; the payload size is back-filled by finishFrame. */
function writeHeaderPrefix(target: Buffer, offset: number, channel: number, classId: number, bodySize: number): number {
  target.writeUInt8(FRAME_HEADER, offset);
  target.writeUInt16BE(channel, offset + 1);
  let p = target.writeUInt16BE(classId, offset + FRAME_HEADER_SIZE);
  p = target.writeUInt16BE(0, p); // weight: unused, must be zero (0-9-1 §4.2.6)
  return writeLonglong(target, p, bodySize);
}

/** Back-fills the payload size and writes the frame-end octet; returns the offset after it. */
function finishFrame(target: Buffer, offset: number, payloadEnd: number): number {
  target.writeUInt32BE(payloadEnd - offset - FRAME_HEADER_SIZE, offset + 3);
  return target.writeUInt8(FRAME_END, payloadEnd);
}
