import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';

/** What a broker-initiated channel.close told amqplib. */
export interface ChannelCloseError {
  code: number;
  message: string;
  classId: number;
  methodId: number;
}

/**
 * Runs `operation` on a fresh channel and resolves with the channel.close it provokes (the channel is gone
 * afterwards). Fails the test if the operation succeeds.
 */
export async function channelError(
  connection: ChannelModel,
  operation: (channel: Channel) => Promise<unknown> | unknown,
): Promise<ChannelCloseError> {
  const channel = await connection.createChannel();
  const closed = new Promise<ChannelCloseError>((resolve) => {
    channel.on('error', (error: ChannelCloseError) => resolve(error));
  });
  // amqplib rejects the pending RPC too; the 'error' event carries the code and ids.
  const succeeded = await Promise.resolve()
    .then(() => operation(channel))
    .then(
      () => true,
      () => false,
    );
  if (succeeded) {
    await channel.close().catch(() => undefined);
    throw new Error('expected the broker to close the channel, but the operation succeeded');
  }
  return closed;
}

/** A confirm channel whose errors are swallowed (tests assert on them explicitly). */
export async function confirmChannel(connection: ChannelModel): Promise<ConfirmChannel> {
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined);
  return channel;
}

/**
 * Whether queue `name` exists on the broker behind `connection`: a passive declare on a channel of its own. With
 * `lockedExists`, another connection's exclusive queue (405 RESOURCE_LOCKED) counts as existing; anything else
 * (404 and the rest) is "no", or, with `onlyNotFound`, only a 404 is and any other failure is thrown.
 */
export async function queueExists(
  connection: ChannelModel,
  name: string,
  options: { lockedExists?: boolean; onlyNotFound?: boolean } = {},
): Promise<boolean> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await channel.checkQueue(name);
    await channel.close();
    return true;
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (options.lockedExists === true && code === 405) return true;
    if (options.onlyNotFound === true && code !== 404) throw error;
    return false;
  }
}

/** Whether exchange `name` exists on the broker behind `connection` (a passive declare on a channel of its own). */
export async function exchangeExists(connection: ChannelModel, name: string): Promise<boolean> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await channel.checkExchange(name);
    await channel.close();
    return true;
  } catch {
    return false;
  }
}
