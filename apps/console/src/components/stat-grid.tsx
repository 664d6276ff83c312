/** A row of labelled figures (totals). */
export function StatGrid({ items }: { items: [string, string][] }) {
  return (
    <dl class="stats">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
