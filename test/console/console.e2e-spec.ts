import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import amqplib, { type ChannelModel } from 'amqplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { waitFor } from '../support/wait-for.js';
import { startAdminStack, type AdminStack } from '../admin-api/support/admin-stack.js';
import { launchChromium, watchPage } from './support/browser.js';
import { ARTIFACTS_DIR, ensureConsoleBuilt } from './support/console-build.js';

// The web console (apps/console) in a real headless Chromium, against a broker process and the admin API serving
// the built console at `/`. Each page is saved as a screenshot in test-artifacts/console/.
const UI_TIMEOUT = 30_000;

describe('web console (headless Chromium)', () => {
  let stack: AdminStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watched: { errors: string[]; dialogs: string[] };
  const connections: ChannelModel[] = [];

  const connect = async () => {
    const connection = await amqplib.connect(stack.amqpUrl);
    connection.on('error', () => undefined);
    connections.push(connection);
    return connection;
  };
  const open = async (path: string) => {
    await page.goto(stack.baseUrl + path);
    await page.locator('main.page h1').first().waitFor({ timeout: UI_TIMEOUT });
  };
  const shoot = (name: string) => page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
  const graphHas = (id: string) =>
    page.evaluate((nodeId) => (globalThis as any).warrenGraph?.getElementById(nodeId).nonempty() === true, id);
  const consoleErrors = () => watched.errors;

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    stack = await startAdminStack();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    watched = watchPage(page);
  }, 300_000);

  afterAll(async () => {
    for (const connection of connections) await connection.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  it('logs in on its own page: a wrong password shows an error and never the browser prompt', async () => {
    const unauthorized = await fetch(`${stack.baseUrl}/api/overview`, { headers: { 'X-Requested-With': 'XMLHttpRequest' } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('www-authenticate')).toBeNull();

    await page.goto(stack.baseUrl + '/');
    await page.fill('input[name=username]', 'guest');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await page.locator('.login [role=alert]').waitFor();
    expect(await page.locator('.login [role=alert]').textContent()).toMatch(/Login failed|not authorized/i);
    await shoot('login-failed');
    expect(watched.dialogs).toEqual([]);

    await page.fill('input[name=password]', 'guest');
    await page.click('button[type=submit]');
    await page.locator('main.page h1', { hasText: 'Overview' }).waitFor();
    // The 401 of the failed login is the only console error so far; the rest of the run must add none.
    watched.errors.length = 0;
  }, 120_000);

  it('renders the overview: totals, listeners, alarms', async () => {
    await connect();
    await page.locator('[data-testid=alarms]', { hasText: 'No resource alarms' }).waitFor();
    await page.locator('.stats dt', { hasText: 'Queues' }).waitFor();
    await page.locator('td', { hasText: 'amqp' }).first().waitFor();
    // Memory and disk come from /api/nodes: a figure, not the dash of a missing field.
    await page.locator('.stats div', { has: page.locator('dt', { hasText: 'Memory used' }), hasText: /\d/ }).waitFor();
    await page.locator('.stats div', { has: page.locator('dt', { hasText: /^Disk free$/ }), hasText: /\d/ }).waitFor();
    await page.waitForFunction(() => {
      const cells: any[] = [...(globalThis as any).document.querySelectorAll('.stats div')];
      const cell = cells.find((div) => div.querySelector('dt')?.textContent === 'Connections');
      return cell !== undefined && Number(cell.querySelector('dd')?.textContent) >= 1;
    });
    await shoot('overview');
  }, 120_000);

  it('loads every page without console errors', async () => {
    for (const [path, name] of [
      ['/connections', 'connections'],
      ['/channels', 'channels'],
      ['/exchanges', 'exchanges'],
      ['/exchanges/%2F/amq.topic', 'exchange-detail'],
      ['/queues', 'queues'],
      ['/topology', 'topology'],
      ['/admin', 'admin'],
      ['/definitions', 'definitions'],
      ['/', 'overview-again'],
    ]) {
      await open(path);
      await page.waitForLoadState('networkidle');
      await shoot(name);
    }
    expect(consoleErrors()).toEqual([]);
  }, 180_000);

  it('filters and pages a queue list of thousands on the server; a queue declared over AMQP appears without a reload', async () => {
    const connection = await connect();
    const channel = await connection.createChannel();
    const names = Array.from({ length: 2500 }, (_, i) => `bulk.${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 250)
      await Promise.all(names.slice(i, i + 250).map((name) => channel.assertQueue(name, { durable: false })));

    await open('/queues');
    await page.locator('[data-testid=page-info]', { hasText: /of 2,5\d\d\)/ }).waitFor();
    expect(await page.locator('[data-testid=queues-table] tbody tr').count()).toBe(50);
    await page.click('button[aria-label="Next page"]');
    await page.locator('[data-testid=page-info]', { hasText: 'Page 2 of' }).waitFor();
    await page.fill('input[aria-label="Filter by name"]', 'bulk.0004');
    await page.locator('[data-testid=page-info]', { hasText: 'Page 1 of 1 (10 of' }).waitFor();
    await page.check('.filter input[type=checkbox]');
    await page.fill('input[aria-label="Filter by name"]', '^bulk\\.0123[45]$');
    await page.locator('[data-testid=page-info]', { hasText: '(2 of' }).waitFor();
    await shoot('queues-filtered');

    await page.fill('input[aria-label="Filter by name"]', 'live-arrival');
    await page.uncheck('.filter input[type=checkbox]');
    await page.locator('[data-testid=page-info]', { hasText: '(0 of' }).waitFor();
    await channel.assertQueue('live-arrival', { durable: false });
    await page.locator('[data-testid=queues-table] a', { hasText: 'live-arrival' }).waitFor();

    for (let i = 0; i < names.length; i += 250) await Promise.all(names.slice(i, i + 250).map((name) => channel.deleteQueue(name)));
    await channel.deleteQueue('live-arrival');
    await channel.close();
  }, 240_000);

  it('draws the topology live and highlights exactly the queues route explain and a real publish reach', async () => {
    const connection = await connect();
    const channel = await connection.createChannel();
    await open('/topology');
    await page.locator('[data-testid=topology-counts]', { hasText: 'queues' }).waitFor();

    await channel.assertExchange('orders', 'topic', { durable: false, alternateExchange: 'orders.unrouted' });
    await channel.assertExchange('orders.unrouted', 'fanout', { durable: false });
    await channel.assertExchange('orders.eu', 'fanout', { durable: false });
    await channel.assertExchange('orders.dead', 'fanout', { durable: false });
    const queues = ['orders.all', 'orders.created', 'orders.eu-audit', 'orders.lost', 'orders.dead-letters'];
    for (const name of queues) {
      await channel.assertQueue(name, {
        durable: false,
        arguments: name === 'orders.created' ? { 'x-dead-letter-exchange': 'orders.dead' } : {},
      });
    }
    await channel.bindQueue('orders.all', 'orders', 'order.#');
    await channel.bindQueue('orders.created', 'orders', 'order.created.*');
    await channel.bindExchange('orders.eu', 'orders', 'order.*.eu');
    await channel.bindQueue('orders.eu-audit', 'orders.eu', '');
    await channel.bindQueue('orders.lost', 'orders.unrouted', '');
    await channel.bindQueue('orders.dead-letters', 'orders.dead', '');

    // Declared over AMQP, drawn by the next poll: no reload.
    await waitFor(() => graphHas('q:orders.dead-letters'), { what: 'the new queue in the graph', timeoutMs: UI_TIMEOUT, intervalMs: 200 });
    expect(await graphHas('x:orders')).toBe(true);

    const explain = async (routingKey: string) => {
      await page.selectOption('[data-testid=route-panel] select[name=exchange]', 'orders');
      await page.fill('[data-testid=route-panel] input[name=routing_key]', routingKey);
      // Clear the previous answer first, so the list read below is this explanation's.
      await page.click('[data-testid=route-panel] button[type=button]');
      await page.locator('[data-testid=route-queues]').waitFor({ state: 'detached' });
      await page.click('[data-testid=route-panel] button[type=submit]');
      await page.locator('[data-testid=route-queues]').waitFor();
      const listed = await page
        .locator('[data-testid=route-queues] > li')
        .evaluateAll((items) => items.map((item) => item.getAttribute('data-queue')));
      const expected = (listed as string[]).sort();
      // The panel's list and the graph's highlighting are two renders: poll for the graph, then compare (a timeout
      // leaves the last reading, so a wrong highlight fails below with its diff).
      let highlighted: string[] = [];
      const readHighlighted = async () => {
        highlighted = await page.evaluate(() =>
          (globalThis as any).warrenGraph
            .nodes('node.route[kind = "queue"]')
            .map((node: any) => node.data('name'))
            .sort(),
        );
        return highlighted.join() === expected.join();
      };
      await waitFor(readHighlighted, { what: 'the explained queues highlighted', timeoutMs: 5_000, intervalMs: 100 }).catch(
        () => undefined,
      );
      return { listed: expected, highlighted };
    };
    const published = async (routingKey: string) => {
      const consumer = await connection.createChannel();
      const got = new Set<string>();
      for (const name of queues) await consumer.consume(name, () => got.add(name), { noAck: true });
      const publisher = await connection.createConfirmChannel();
      publisher.publish('orders', routingKey, Buffer.from('x'));
      await publisher.waitForConfirms();
      // Confirmed means enqueued; consumers on the same connection get their deliveries before a later round trip.
      await consumer.checkQueue('orders.all');
      await waitFor(() => got.size > 0, { what: 'a delivery', timeoutMs: UI_TIMEOUT });
      await consumer.close();
      await publisher.close();
      return [...got].sort();
    };

    const created = await explain('order.created.eu');
    expect(created.listed).toEqual(['orders.all', 'orders.created', 'orders.eu-audit']);
    expect(created.highlighted).toEqual(created.listed);
    expect(await published('order.created.eu')).toEqual(created.listed);
    // The exchange-to-exchange hop and the dead-letter edge of the reached queue are on the drawn path.
    const edges = await page.evaluate(() => ({
      hop: (globalThis as any).warrenGraph.edges('.route').map((edge: any) => edge.id()),
      dead: (globalThis as any).warrenGraph.edges('.dead-letter-path').map((edge: any) => edge.id()),
    }));
    expect(edges.hop).toEqual(expect.arrayContaining(['b:orders>exchange:orders.eu/order.%2A.eu', 'b:orders.eu>queue:orders.eu-audit/~']));
    expect(edges.dead).toEqual(['dlx:orders.created>orders.dead']);
    await shoot('topology-route-explain');

    const lost = await explain('invoice.paid');
    expect(lost.listed).toEqual(['orders.lost']);
    expect(lost.highlighted).toEqual(['orders.lost']);
    await page
      .locator('[data-testid=route-unmatched]', { hasText: "routing key 'invoice.paid' does not match the pattern 'order.created.*'" })
      .waitFor();
    expect(await published('invoice.paid')).toEqual(['orders.lost']);
    expect(await page.evaluate(() => (globalThis as any).warrenGraph.getElementById('ae:orders>orders.unrouted').hasClass('route'))).toBe(
      true,
    );

    // Readable when large: search outlines matches, a click focuses on a node's neighbourhood, grouping by prefix.
    await page.fill('input[aria-label="Search nodes"]', 'orders.dead');
    await waitFor(
      () =>
        page.evaluate(() =>
          (globalThis as any).warrenGraph
            .nodes('.search-hit')
            .map((node: any) => node.id())
            .sort()
            .join(),
        ),
      {
        what: 'search hits',
        timeoutMs: UI_TIMEOUT,
        intervalMs: 200,
      },
    ).then((hits) => expect(hits).toBe('q:orders.dead-letters,x:orders.dead'));
    // Returns nothing: a Cytoscape collection (linked to the whole graph) would be serialized back to the test.
    await page.evaluate(() => void (globalThis as any).warrenGraph.getElementById('x:orders.eu').emit('tap'));
    await waitFor(() => page.evaluate(() => (globalThis as any).warrenGraph.getElementById('q:orders.all').hasClass('faded')), {
      what: 'nodes outside the neighbourhood faded',
      timeoutMs: UI_TIMEOUT,
      intervalMs: 200,
    });
    expect(await page.evaluate(() => (globalThis as any).warrenGraph.getElementById('q:orders.eu-audit').hasClass('faded'))).toBe(false);
    await page.click('button:has-text("Show all")');
    await page.check('.toolbar input[type=checkbox]');
    await waitFor(() => page.evaluate(() => (globalThis as any).warrenGraph.getElementById('q:orders.all').parent().id() === 'g:orders'), {
      what: 'the orders group',
      timeoutMs: UI_TIMEOUT,
      intervalMs: 200,
    });
    await shoot('topology-grouped');
    await page.uncheck('.toolbar input[type=checkbox]');

    // Deleted over AMQP, gone from the graph.
    await channel.deleteQueue('orders.lost');
    await waitFor(async () => !(await graphHas('q:orders.lost')), {
      what: 'the deleted queue to leave the graph',
      timeoutMs: UI_TIMEOUT,
      intervalMs: 200,
    });
    await channel.close();
  }, 240_000);

  it('publishes from a queue page to an amqplib consumer, and gets with an ack mode', async () => {
    const connection = await connect();
    const channel = await connection.createChannel();
    await channel.assertQueue('console.inbox', { durable: false });
    await channel.assertQueue('console.peek', { durable: false });
    const received: string[] = [];
    await channel.consume('console.inbox', (message) => message && received.push(message.content.toString()), { noAck: true });

    await open('/queues/%2F/console.inbox');
    await page.fill('[data-testid=publish-form] textarea[name=payload]', 'hello from the console');
    await page.click('[data-testid=publish-form] button[type=submit]');
    await page.locator('[data-testid=publish-form] [role=status]', { hasText: 'Message published.' }).waitFor();
    await waitFor(() => received.length > 0, { what: 'the consumer to get the message', timeoutMs: UI_TIMEOUT });
    expect(received).toEqual(['hello from the console']);
    await page.locator('[data-testid=consumers-table] tbody tr').first().waitFor();

    channel.sendToQueue('console.peek', Buffer.from('keep me'));
    channel.sendToQueue('console.peek', Buffer.from('take me'));
    await open('/queues/%2F/console.peek');
    await page.click('[data-testid=get-form] button[type=submit]');
    await page.locator('[data-testid=got-message]', { hasText: 'keep me' }).waitFor();
    expect((await channel.checkQueue('console.peek')).messageCount).toBe(2);
    await page.selectOption('[data-testid=get-form] select[name=ackmode]', 'ack_requeue_false');
    await page.click('[data-testid=get-form] button[type=submit]');
    await page.locator('[data-testid=got-message]', { hasText: 'keep me' }).waitFor();
    await waitFor(async () => (await channel.checkQueue('console.peek')).messageCount === 1, {
      what: 'the acked message gone',
      timeoutMs: UI_TIMEOUT,
    });
    await shoot('queue-detail');
    await channel.close();
  }, 180_000);

  it('imports definitions pasted into the definitions page', async () => {
    await open('/definitions');
    const definitions = { queues: [{ name: 'imported.from-console', vhost: '/', durable: true, auto_delete: false, arguments: {} }] };
    await page.fill('textarea[name=definitions]', JSON.stringify(definitions));
    await page.click('button:has-text("Import definitions")');
    await page.locator('[role=status]', { hasText: 'Definitions imported.' }).waitFor();
    expect((await stack.api('GET', '/api/queues/%2F/imported.from-console')).status).toBe(200);
    const before = watched.errors.length;
    await page.fill('textarea[name=definitions]', '{"queues": [{"name": 7}]}');
    await page.click('button:has-text("Import definitions")');
    await page.locator('[role=alert]').waitFor();
    // The refused import is the browser's logged 400, and nothing else.
    expect(watched.errors.splice(before)).toEqual([expect.stringMatching(/status of 400 .*\/api\/definitions\)$/)]);
  }, 120_000);

  it('opens a channel from the channels list and from its connection’s page: its consumer, prefetch and rate chart', async () => {
    const connection = await amqplib.connect(stack.amqpUrl, { clientProperties: { connection_name: 'console-consumer' } });
    connection.on('error', () => undefined);
    connections.push(connection);
    const channel = await connection.createChannel();
    await channel.assertQueue('console.consumed', { durable: false });
    await channel.prefetch(5);
    const { consumerTag } = await channel.consume('console.consumed', () => undefined);
    const list = await stack.api<{ name: string; client_properties?: { connection_name?: string } }[]>('GET', '/api/connections');
    const connectionName = list.body.find((c) => c.client_properties?.connection_name === 'console-consumer')!.name;
    const channelName = `${connectionName} (1)`;
    const showsTheChannel = async () => {
      await page.locator('[data-testid=channel-name]', { hasText: channelName }).waitFor();
      await page.locator('[data-testid=channel-consumers] td', { hasText: consumerTag }).waitFor();
      await page.locator('[data-testid=channel-consumers] a', { hasText: 'console.consumed' }).waitFor();
      await page.locator('.stats div', { has: page.locator('dt', { hasText: /^Prefetch$/ }), hasText: '5' }).waitFor();
      await page.locator('.stats div', { has: page.locator('dt', { hasText: /^User$/ }), hasText: 'guest' }).waitFor();
      await page.locator('[data-testid=rate-chart]', { hasText: 'Message rates' }).waitFor();
    };

    await open('/channels');
    await page.locator('[data-testid=channels-table] a', { hasText: channelName }).click();
    await showsTheChannel();
    await shoot('channel-detail');

    await open(`/connections/${encodeURIComponent(connectionName)}`);
    await page.locator('[data-testid=channels-table] a', { hasText: channelName }).click();
    await showsTheChannel();

    // The channel's page closes its connection too, with the reason given.
    const closed = new Promise<Error | undefined>((resolve) => connection.on('close', resolve));
    await page.fill('input[name=reason]', 'channel page says bye');
    await page.click('button.danger');
    await page.locator('[role=status]', { hasText: 'Connection closed.' }).waitFor();
    expect(String(await closed)).toContain('channel page says bye');
    expect(consoleErrors()).toEqual([]);
  }, 120_000);

  it('closes a connection with a reason', async () => {
    const connection = await amqplib.connect(stack.amqpUrl, { clientProperties: { connection_name: 'console-victim' } });
    const closed = new Promise<Error | undefined>((resolve) => connection.on('close', resolve));
    connection.on('error', () => undefined);
    await open('/connections');
    const list = await stack.api<{ name: string; client_properties?: { connection_name?: string } }[]>('GET', '/api/connections');
    const name = list.body.find((c) => c.client_properties?.connection_name === 'console-victim')!.name;
    await page.locator('[data-testid=connections-table] a', { hasText: name }).click();
    await page.locator('[data-testid=connection-name]', { hasText: name }).waitFor();
    await page.fill('input[name=reason]', 'maintenance window');
    await page.click('button.danger');
    await page.locator('[role=status]', { hasText: 'Connection closed.' }).waitFor();
    const error = await closed;
    expect(String(error)).toContain('maintenance window');
    await shoot('connection-closed');
    expect(consoleErrors()).toEqual([]);
  }, 120_000);
});
