import { shortstrPreview, shortstrRefusal } from '@app/codec';
import { RoutingError, RoutingReplyCode } from './routing-error.js';

/**
 * 406 for a name or routing key that is not a valid shortstr (≤ 255 bytes of valid UTF-8). Only reachable from
 * JSON (admin API, definitions, test kit): the codec refuses such strings on the wire.
 */
export function checkShortstrName(kind: 'queue' | 'exchange' | 'routing key', name: string): void {
  const refusal = shortstrRefusal(name);
  if (refusal !== undefined) {
    throw new RoutingError(RoutingReplyCode.PRECONDITION_FAILED, `PRECONDITION_FAILED - ${kind} '${shortstrPreview(name)}' ${refusal}`);
  }
}
