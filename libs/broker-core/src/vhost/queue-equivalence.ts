import { TypedFieldValue, type FieldTable, type FieldValue } from '@app/codec';
import type { QueueOptions } from '../queue/queue.js';

/**
 * RabbitMQ's name for a field value's type, as it prints it in `inequivalent arg` texts.
 */
function typeName(value: FieldValue): string {
  if (value instanceof TypedFieldValue) {
    switch (value.type) {
      case 'b':
        return 'byte';
      case 'B':
        return 'unsignedbyte';
      case 's':
        return 'short';
      case 'u':
        return 'unsignedshort';
      case 'I':
        return 'signedint';
      case 'i':
        return 'unsignedint';
      case 'l':
        return 'long';
      case 'f':
        return 'float';
      case 'd':
        return 'double';
      case 'D':
        return 'decimal';
      case 'T':
        return 'timestamp';
      default:
        return value.type;
    }
  }
  if (typeof value === 'string') return 'longstr';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'long';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'double';
    return value >= -0x80000000 && value <= 0x7fffffff ? 'signedint' : 'long';
  }
  if (value === null) return 'void';
  if (Buffer.isBuffer(value)) return 'binary';
  if (Array.isArray(value)) return 'array';
  return 'table';
}

/** Plain comparable form of a field value: numbers of any width compare by value, as RabbitMQ does for x-args. */
function plain(value: FieldValue): unknown {
  if (value instanceof TypedFieldValue) {
    const inner = value.value;
    return typeof inner === 'object' ? `${inner.value}e-${inner.scale}` : Number(inner);
  }
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = plain((value as FieldTable)[key]);
    return out;
  }
  return value;
}

function display(value: FieldValue): string {
  const p = plain(value);
  return typeof p === 'object' ? JSON.stringify(p) : String(p);
}

/** Whether two field values are equivalent for declare checks. */
export function fieldValuesEquivalent(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return JSON.stringify(plain(a)) === JSON.stringify(plain(b));
}

/**
 * Compares a re-declare with the existing queue; returns RabbitMQ's detail text for the first difference
 * (`inequivalent arg 'durable' for queue 'q' in vhost '/': received 'true' but current is 'false'`), or undefined.
 */
export function queueInequivalence(name: string, vhost: string, current: QueueOptions, received: QueueOptions): string | undefined {
  const where = `for queue '${name}' in vhost '${vhost}'`;
  if (current.durable !== received.durable) {
    return `inequivalent arg 'durable' ${where}: received '${received.durable}' but current is '${current.durable}'`;
  }
  if (current.autoDelete !== received.autoDelete) {
    return `inequivalent arg 'auto_delete' ${where}: received '${received.autoDelete}' but current is '${current.autoDelete}'`;
  }
  const keys = new Set([...Object.keys(current.arguments), ...Object.keys(received.arguments)]);
  for (const key of keys) {
    // RabbitMQ only compares the arguments it knows (x-*): unknown keys are carried but not checked.
    if (!key.startsWith('x-')) continue;
    const was = current.arguments[key];
    const now = received.arguments[key];
    if (fieldValuesEquivalent(was, now)) continue;
    const receivedText = now === undefined ? 'none' : `the value '${display(now)}' of type '${typeName(now)}'`;
    const currentText = was === undefined ? 'none' : `the value '${display(was)}' of type '${typeName(was)}'`;
    return `inequivalent arg '${key}' ${where}: received ${receivedText} but current is ${currentText}`;
  }
  return undefined;
}
