import type { ComponentChildren } from 'preact';

/** An admin section's table: one row per item, its cells, and a button that removes it (after any confirmation `onRemove` asks). */
export function AdminTable<T>({
  testId,
  headings,
  items,
  keyOf,
  cells,
  removeLabel,
  onRemove,
}: {
  testId: string;
  headings: string[];
  items: T[] | undefined;
  keyOf: (item: T) => string;
  /** The row's cells, in the order of `headings`. */
  cells: (item: T) => ComponentChildren[];
  removeLabel: string;
  onRemove: (item: T) => unknown;
}) {
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          {headings.map((heading) => (
            <th key={heading}>{heading}</th>
          ))}
          <th />
        </tr>
      </thead>
      <tbody>
        {items?.map((item) => (
          <tr key={keyOf(item)}>
            {cells(item).map((cell, index) => (
              <td key={index}>{cell}</td>
            ))}
            <td>
              <button type="button" onClick={() => onRemove(item)}>
                {removeLabel}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
