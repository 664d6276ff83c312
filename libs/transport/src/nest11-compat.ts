import { Server, type BaseRpcContext, type WritePacket } from '@nestjs/microservices';
import { finalize, type Observable } from 'rxjs';
import { WarrenServer } from './warren-server.js';

/** The two Nest 12 `Server` methods WarrenServer calls, as Nest 12 implements them. */
interface ProcessingHooks {
  transportId?: symbol | string | number;
  onProcessingStartHook(transportId: unknown, context: BaseRpcContext, done: () => Promise<void>): unknown;
  onProcessingEndHook?(transportId: unknown, context: BaseRpcContext): void;
  send(stream$: Observable<unknown>, respond: (data: WritePacket) => unknown): unknown;
}

/**
 * Nest 11 support: Nest 11's `Server` has the processing hooks (`onProcessingStartHook`/`onProcessingEndHook`) but
 * not Nest 12's `runWithProcessingHooks` and `handleRequest`, which WarrenServer calls. Under Nest 11 they are added
 * to WarrenServer's prototype only (never to Nest's `Server`), with Nest 12's behaviour: the end hook runs exactly
 * once, after the handler (or its reply stream) settled. Under Nest 12 this does nothing. Imported by the barrel.
 */
export function installNest11Compat(): boolean {
  if (typeof (Server.prototype as unknown as Record<string, unknown>).runWithProcessingHooks === 'function') return false;
  Object.defineProperties(WarrenServer.prototype, {
    runWithProcessingHooks: {
      configurable: true,
      writable: true,
      value(this: ProcessingHooks, context: BaseRpcContext, fn: (runEndHook: () => void) => Promise<void>, endContext = context) {
        return this.onProcessingStartHook(this.transportId, context, async () => {
          let isEnded = false;
          const runEndHook = (): void => {
            if (isEnded) return;
            isEnded = true;
            this.onProcessingEndHook?.(this.transportId, endContext);
          };
          try {
            await fn(runEndHook);
          } catch (error) {
            runEndHook();
            throw error;
          }
        });
      },
    },
    handleRequest: {
      configurable: true,
      writable: true,
      value(
        this: ProcessingHooks & { runWithProcessingHooks: WarrenServer['runWithProcessingHooks'] },
        context: BaseRpcContext,
        produce: () => Promise<Observable<unknown>>,
        respond: (data: WritePacket) => unknown,
      ) {
        return this.runWithProcessingHooks(context, async (runEndHook) => {
          const response$ = await produce();
          this.send(response$.pipe(finalize(runEndHook)), respond);
        });
      },
    },
  });
  return true;
}

installNest11Compat();
