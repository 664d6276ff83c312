import { RoutingError, RoutingReplyCode } from './routing-error.js';

// RabbitMQ's reply texts (rabbit_channel, rabbit_exchange, rabbit_misc), built in one place so they stay exact.
// `rs` is rabbit_misc:rs/1: "exchange 'x' in vhost '/'".

function rs(vhost: string, name: string): string {
  return `exchange '${name}' in vhost '${vhost}'`;
}

/** 404 for a missing exchange (passive declare, bind). */
export function noExchange(vhost: string, name: string): RoutingError {
  return new RoutingError(RoutingReplyCode.NOT_FOUND, `NOT_FOUND - no ${rs(vhost, name)}`);
}

/** 403 for declaring, deleting or binding the default exchange (`check_not_default_exchange`). */
export function defaultExchangeRefused(): RoutingError {
  return new RoutingError(RoutingReplyCode.ACCESS_REFUSED, 'ACCESS_REFUSED - operation not permitted on the default exchange');
}

/** 403 for creating an exchange named `amq.*` (`check_name`). */
export function reservedPrefix(name: string): RoutingError {
  return new RoutingError(RoutingReplyCode.ACCESS_REFUSED, `ACCESS_REFUSED - exchange name '${name}' contains reserved prefix 'amq.*'`);
}

/** 403 for deleting an `amq.*` exchange (`check_exchange_deletion`). */
export function systemExchangeDeletion(vhost: string, name: string): RoutingError {
  return new RoutingError(RoutingReplyCode.ACCESS_REFUSED, `ACCESS_REFUSED - deletion of system ${rs(vhost, name)} not allowed`);
}

/** Hard 503 for an unregistered exchange type (RabbitMQ 3.10 `rabbit_exchange:check_type`). */
export function unknownExchangeType(type: string): RoutingError {
  return new RoutingError(RoutingReplyCode.COMMAND_INVALID, `COMMAND_INVALID - unknown exchange type '${type}'`);
}

/** 406 for a redeclare that differs (`rabbit_misc:assert_field_equivalence`); values already formatted. */
export function inequivalentArg(vhost: string, name: string, arg: string, received: string, current: string): RoutingError {
  return new RoutingError(
    RoutingReplyCode.PRECONDITION_FAILED,
    `PRECONDITION_FAILED - inequivalent arg '${arg}' for ${rs(vhost, name)}: received ${received} but current is ${current}`,
  );
}

/** 406 for an `alternate-exchange` argument that is not a string (`rabbit_misc:r_arg`). */
export function invalidArgType(vhost: string, name: string, arg: string, typeName: string): RoutingError {
  return new RoutingError(
    RoutingReplyCode.PRECONDITION_FAILED,
    `PRECONDITION_FAILED - invalid type '${typeName}' for arg '${arg}' in ${rs(vhost, name)}`,
  );
}

/** 406 for `exchange.delete if-unused` on an exchange that is the source of bindings. */
export function exchangeInUse(vhost: string, name: string): RoutingError {
  return new RoutingError(RoutingReplyCode.PRECONDITION_FAILED, `PRECONDITION_FAILED - ${rs(vhost, name)} in use`);
}

/** 406 for a binding its exchange type refuses (`{binding_invalid, Fmt, Args}`). */
export function bindingInvalid(text: string): RoutingError {
  return new RoutingError(RoutingReplyCode.PRECONDITION_FAILED, `PRECONDITION_FAILED - ${text}`);
}
