import amqplib from 'amqplib';
import {
  MANAGEMENT_EXCHANGE,
  ManagementPattern,
  decodeManagementReply,
  encodeManagementRequest,
  type ManagementReplyEnvelope,
} from '@app/management-contract';
import type { TestBroker } from '@app/testing';
import { waitFor } from './wait-for.js';

/** Asks the broker's storage health check over the management listener, as the admin API does. */
export async function storageHealth(server: TestBroker): Promise<ManagementReplyEnvelope> {
  const connection = await amqplib.connect(server.managementUrl);
  try {
    const channel = await connection.createChannel();
    const replies: ManagementReplyEnvelope[] = [];
    await channel.consume('amq.rabbitmq.reply-to', (message) => message && replies.push(decodeManagementReply(message.content)), {
      noAck: true,
    });
    const caller = { username: 'guest', remote_address: '127.0.0.1' };
    const request = encodeManagementRequest({ id: 'health', pattern: ManagementPattern.HealthStorage, caller, data: {} });
    channel.publish(MANAGEMENT_EXCHANGE, ManagementPattern.HealthStorage, request, {
      replyTo: 'amq.rabbitmq.reply-to',
      correlationId: 'health',
    });
    return await waitFor(() => replies[0], { what: 'the storage health reply' });
  } finally {
    await connection.close();
  }
}
