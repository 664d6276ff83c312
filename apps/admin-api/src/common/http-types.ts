// The few Express request/response members the controllers use (the project does not depend on @types/express).

/** An incoming HTTP request, as Express passes it. */
export interface HttpRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly socket: { readonly remoteAddress?: string };
  readonly originalUrl: string;
  /** Set by the BasicAuthGuard once the broker accepted the credentials: who management requests act for. */
  managementCaller?: import('@app/management-contract').ManagementCaller;
}

/** An outgoing HTTP response, as Express passes it. */
export interface HttpResponse {
  status(code: number): HttpResponse;
  setHeader(name: string, value: string): void;
  json(body: unknown): void;
  end(): void;
  /** The request this answers (Express sets it). */
  readonly req?: HttpRequest;
}
