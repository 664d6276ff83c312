import type { ComponentChildren } from 'preact';
import { ErrorBanner } from './error-banner';

/** An admin section's add-or-set form: a title, the fields (`children`), a submit button and the action's error. */
export function AdminForm({
  title,
  submitLabel,
  error,
  onSubmit,
  children,
}: {
  title: string;
  submitLabel: string;
  error: string | undefined;
  /** Called on submit; the browser's own submission is already prevented. */
  onSubmit: () => void;
  children: ComponentChildren;
}) {
  return (
    <form
      class="card"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <h3>{title}</h3>
      {children}
      <button type="submit">{submitLabel}</button>
      <ErrorBanner error={error} />
    </form>
  );
}
