import type { ListState } from '../hooks/use-paged-list';

/** The name filter of a list page (substring, or a regular expression). */
export function ListFilter({ state, update }: { state: ListState; update: (change: Partial<ListState>) => void }) {
  return (
    <div class="filter">
      <input
        type="search"
        placeholder="Filter by name"
        aria-label="Filter by name"
        value={state.name}
        onInput={(e) => update({ name: e.currentTarget.value })}
      />
      <label>
        <input type="checkbox" checked={state.useRegex} onChange={(e) => update({ useRegex: e.currentTarget.checked })} /> Regex
      </label>
    </div>
  );
}
