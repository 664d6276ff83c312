import { DEFAULT_PAGE_SIZE, InvalidListQueryError, ManagementPattern, pageList, type ListPage } from '@app/management-contract';
import { jsonOfQueue } from './json-format.js';
import { ManagementError } from './management-error.js';
import { booleanField, optionalString, vhostsOf, type ManagementHandler, type RequestData } from './management-request.js';

/** The largest page the admin API asks for (its `page_size` maximum). */
const MAX_PAGE_SIZE = 500;

function positiveInteger(data: RequestData, key: string, fallback: number | undefined, max = Number.MAX_SAFE_INTEGER): number {
  const value = data[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw ManagementError.badRequest(`'${key}' must be an integer from 1 to ${max}`);
  }
  return value;
}

/**
 * One page of the queue list (RabbitMQ's `GET /api/queues?page=…`), filtered, sorted and cut here so only the page
 * goes back over the management channel: with 10,000 queues that is a few kilobytes instead of megabytes per poll
 * of the console's queue list. Same rules as the admin API's other lists (`pageList`).
 */
const pageQueues: ManagementHandler = (data, { host, access }): ListPage<unknown> => {
  const query = {
    page: positiveInteger(data, 'page', undefined),
    page_size: positiveInteger(data, 'page_size', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    name: optionalString(data, 'name'),
    use_regex: booleanField(data, 'use_regex', false),
    sort: optionalString(data, 'sort'),
    sort_reverse: booleanField(data, 'sort_reverse', false),
  };
  const queues = vhostsOf(host, data, access).flatMap((vhost) => [...vhost.allQueues()].map(jsonOfQueue));
  try {
    return pageList(queues, query) as ListPage<unknown>;
  } catch (error) {
    if (error instanceof InvalidListQueryError) throw ManagementError.badRequest(error.message);
    throw error;
  }
};

/** Paged list RPCs, by pattern. */
export const pageHandlers = {
  [ManagementPattern.QueuesPage]: pageQueues,
};
