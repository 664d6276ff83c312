import { Message } from '../queue/message.js';

/** The routing key plus the CC and BCC headers' keys (RabbitMQ "Sender-selected Distribution"). */
export function senderSelectedKeys(routingKey: string, headers: Readonly<Record<string, unknown>>): string[] {
  const keys = [routingKey];
  for (const name of ['CC', 'BCC']) {
    const list = headers[name];
    if (Array.isArray(list)) for (const key of list) if (typeof key === 'string') keys.push(key);
  }
  return keys;
}

/** The message without its BCC header, which consumers must not see. */
export function withoutBcc(message: Message): Message {
  const headers = { ...message.properties.headers };
  delete headers.BCC;
  return Message.withProperties(message.exchange, message.routingKey, { ...message.properties, headers }, message.body);
}
