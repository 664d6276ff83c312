/** Page controls for RabbitMQ's paged lists: previous, next, page n of m, page size. */
export function Pager({
  page,
  pageCount,
  pageSize,
  filtered,
  total,
  onPage,
  onPageSize,
}: {
  page: number;
  pageCount: number;
  pageSize: number;
  filtered: number;
  total: number;
  onPage: (page: number) => void;
  onPageSize: (size: number) => void;
}) {
  return (
    <div class="pager">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)} aria-label="Previous page">
        ‹
      </button>
      <span data-testid="page-info">
        Page {page} of {pageCount} ({filtered.toLocaleString('en-US')} of {total.toLocaleString('en-US')})
      </span>
      <button type="button" disabled={page >= pageCount} onClick={() => onPage(page + 1)} aria-label="Next page">
        ›
      </button>
      <select value={pageSize} onChange={(e) => onPageSize(Number(e.currentTarget.value))} aria-label="Page size">
        {[20, 50, 100, 500].map((size) => (
          <option key={size} value={size}>
            {size} per page
          </option>
        ))}
      </select>
    </div>
  );
}
