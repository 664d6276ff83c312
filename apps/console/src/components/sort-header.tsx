/** A column header that sorts a server-side list by `field` (click again to reverse). */
export function SortHeader({
  label,
  field,
  sort,
  reverse,
  onSort,
}: {
  label: string;
  field: string;
  sort: string;
  reverse: boolean;
  onSort: (field: string, reverse: boolean) => void;
}) {
  const active = sort === field;
  return (
    <th>
      <button type="button" class="link" onClick={() => onSort(field, active ? !reverse : false)}>
        {label}
        {active ? (reverse ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
}
