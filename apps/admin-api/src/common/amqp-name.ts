import { BadRequestException, Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { shortstrPreview, shortstrRefusal } from '@app/codec';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Why a name from HTTP cannot be used, or undefined: it must be a valid AMQP shortstr (≤ 255 bytes of valid
 * UTF-8, as the broker checks on every path) and hold no NUL, which no AMQP client could type and a C client
 * would cut short.
 */
export function amqpNameRefusal(name: string): string | undefined {
  if (name.includes('\0')) return 'holds a NUL character';
  return shortstrRefusal(name);
}

/**
 * Refuses (400 `bad_request`) a route parameter (vhost, queue, exchange name, properties key) that is not a usable
 * AMQP name, before any request reaches the broker. A global pipe: it sees every `@Param`.
 */
@Injectable()
export class AmqpNameParamPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'param' || typeof value !== 'string') return value;
    const refusal = amqpNameRefusal(value);
    if (refusal !== undefined) throw new BadRequestException(`${metadata.data ?? 'name'} '${shortstrPreview(value)}' ${refusal}`);
    return value;
  }
}

/** class-validator: the property is a usable AMQP name or routing key ({@link amqpNameRefusal}). */
export function IsAmqpName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAmqpName',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && amqpNameRefusal(value) === undefined,
        defaultMessage: (args) =>
          `${args?.property} ${typeof args?.value === 'string' ? (amqpNameRefusal(args.value) ?? '') : 'must be a string'}`,
      },
    },
    options,
  );
}
