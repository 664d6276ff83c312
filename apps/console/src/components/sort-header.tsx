import type { PagedList } from '../hooks/use-paged-list';

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

/** The sortable column headers of a paged list: `const header = sortHeaders(list)`, then `header('Name', 'name')`. */
export function sortHeaders({ state, update }: Pick<PagedList<unknown>, 'state' | 'update'>) {
  return (label: string, field: string) => (
    <SortHeader
      label={label}
      field={field}
      sort={state.sort}
      reverse={state.reverse}
      onSort={(sort, reverse) => update({ sort, reverse })}
    />
  );
}
