import { useState } from 'preact/hooks';

/** What `useAction` returns: the last failure's message and the runner. */
export interface Action {
  error: string | undefined;
  /** Clears the error, runs `action` then `after`, and keeps a failure's message; never rejects. */
  run: (action: () => Promise<unknown>) => Promise<void>;
}

/**
 * A user's action (a form's submit, a delete button) whose failure is shown in an `ErrorBanner`: each run clears the
 * previous error, and a failure is kept as words rather than thrown into the event handler. `after` (a list's
 * reload, say) runs once an action has succeeded.
 */
export function useAction(after?: () => void): Action {
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (action: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await action();
      after?.();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return { error, run };
}
