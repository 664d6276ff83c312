/** A detail page's title: the kind of object, its name (marked `testId` for tests) and, for vhost-scoped objects, the vhost. */
export function DetailHeading({ kind, name, testId, vhost }: { kind: string; name: string; testId: string; vhost?: string }) {
  return (
    <h1>
      {kind} <span data-testid={testId}>{name}</span>
      {vhost !== undefined && (
        <>
          {' '}
          <small class="muted">in {vhost}</small>
        </>
      )}
    </h1>
  );
}
