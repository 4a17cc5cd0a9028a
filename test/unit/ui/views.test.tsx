import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { Dashboard } from '../../../src/ui/app.js';
import { EndpointDetailView } from '../../../src/ui/views/endpoint-detail.js';
import { EndpointsView } from '../../../src/ui/views/endpoints.js';
import { EventDetailView, EventsView, evidenceLines } from '../../../src/ui/views/events.js';
import { arrowLabel, flowAddresses, flowTitle, FlowView, ladderLine, MessageView } from '../../../src/ui/views/flow.js';
import { messageListLine } from '../../../src/ui/views/messages.js';
import { lineText } from '../../../src/ui/lines.js';
import { GLOBAL_KEYS, KEY_TABLES } from '../../../src/ui/keys.js';
import { HelpView } from '../../../src/ui/views/help.js';
import { OverviewView } from '../../../src/ui/views/overview.js';
import { EVIL, FakeSource, flowRow, record, T0, tick, waitFor } from './fake-source.js';

afterEach(() => cleanup());

/** No escape sequence from the network reaches the screen: the fake data's ESC/BEL are replaced. */
function expectClean(frame: string | undefined): void {
  expect(frame).toBeDefined();
  expect(frame).not.toContain('\x1b]0;pwned');
  expect(frame).toContain('\uFFFD');
  expect(frame).not.toContain('\x07');
  expect(frame).not.toMatch(/\x1b\[31mred/);
  expect(frame).not.toContain('\x1b[2J');
}

/** Every line fits the width (Ink would wrap, and the layout would break). */
function expectWidth(frame: string | undefined, width: number): void {
  // eslint-disable-next-line no-control-regex
  for (const line of (frame ?? '').replace(/\x1b\[[0-9;]*m/g, '').split('\n')) expect([...line].length).toBeLessThanOrEqual(width);
}

describe('dashboard views', () => {
  const src = new FakeSource();

  it('overview: counters, sparkline, states, severities, top talkers', () => {
    const { lastFrame } = render(<OverviewView overview={src.overview()} width={80} height={20} />);
    const f = lastFrame()!;
    expect(f).toContain('fleet.pcap');
    expect(f).toMatch(/Packets\s+662/);
    expect(f).toMatch(/[▁▂▃▄▅▆▇█]{6}/);
    expect(f).toContain('registered 2');
    expect(f).toContain('expired 1');
    expect(f).toContain('critical 1');
    expect(f).toContain('10.0.0.1:5683');
    expect(f).toContain('evil\uFFFD]0;pwned');
    expectClean(f);
    expectWidth(f, 80);
  });

  it('overview: totals of a utility fleet keep a space before the first state and severity', () => {
    const o = src.overview();
    const big = { ...o, endpointsByState: { registered: 700_206, expired: 299_794 }, events: 10_667_313, eventsBySeverity: { critical: 10_667_313 } };
    const f = render(<OverviewView overview={big} width={120} height={20} />).lastFrame()!;
    expect(f).toMatch(/Endpoints\s+1,000,000 registered 700,206/);
    expect(f).toMatch(/Events\s+10,667,313 critical 10,667,313/);
  });

  it('endpoints: header with the sort mark, one line per endpoint, the names sanitized', () => {
    const page = src.endpoints({ sort: 'name', descending: false, filter: '', offset: 0, limit: 10 });
    const { lastFrame } = render(<EndpointsView page={page} cursor={0} sort="name" descending={false} filter="" now={T0} width={120} height={10} />);
    const f = lastFrame()!;
    expect(f).toContain('ENDPOINT▲');
    expect(f).toContain('BIND');
    expect(f).toContain('meter-0');
    expect(f).toContain('10.1.0.3:56830');
    expect(f).toContain('expired');
    expect(f).toContain('evil\uFFFD]0;pwned\uFFFD\uFFFD[31mred');
    expect(f).not.toContain('\x1b]0;');
    expectWidth(f, 120);
    const narrow = render(<EndpointsView page={page} cursor={0} sort="name" descending={false} filter="" now={T0} width={80} height={10} />).lastFrame()!;
    expect(narrow).toContain('LAST SEEN');
    expect(narrow).not.toContain('BIND');
    expectWidth(narrow, 80);
  });

  it('endpoints: windowed, never more rows than fit', () => {
    const big = new FakeSource({ endpoints: 10_000 });
    const page = big.endpoints({ sort: 'lastSeen', descending: true, filter: '', offset: 5000, limit: 8 });
    const { lastFrame } = render(<EndpointsView page={page} cursor={5003} sort="lastSeen" descending filter="" now={T0} width={100} height={10} />);
    const f = lastFrame()!;
    expect(f).toContain('5,004/10,000');
    expect(f.split('\n').length).toBeLessThanOrEqual(10);
  });

  it('endpoint detail: facts, object tree with names and a sparkline, observations, events, history', () => {
    const data = {
      endpoint: src.endpoint('meter-0')!, resources: src.resources(), observations: src.observations(),
      events: src.events({ minSeverity: 'info', filter: '', offset: 0, limit: 5 }).rows, eventTotal: 5, now: T0 + 100,
    };
    const { lastFrame } = render(<EndpointDetailView data={data} width={100} height={40} scroll={0} />);
    const f = lastFrame()!;
    expect(f).toContain('meter-0');
    expect(f).toContain('location /rd/1');
    expect(f).toContain('earlier addresses');
    expect(f).toContain('/3305');
    expect(f).toContain('Instantaneous active power');
    expect(f).toContain('987.5');
    expect(f).toMatch(/▁[▁▂▃▄▅▆▇█]*█/);
    expect(f).toContain('pmin=10 pmax=300');
    expect(f).toContain('17 notifications');
    expect(f).toContain('Registration history');
    expect(f).toContain('register   2.01');
    expectClean(f);
    expectWidth(f, 100);
  });

  it('endpoint detail scrolls: the window starts at the scroll offset', () => {
    const data = { endpoint: src.endpoint('meter-0')!, resources: src.resources(), observations: [], events: [], eventTotal: 0, now: T0 };
    const { lastFrame } = render(<EndpointDetailView data={data} width={80} height={3} scroll={1} />);
    expect(lastFrame()).not.toContain('location /rd/1');
    expect(lastFrame()!.split('\n')).toHaveLength(3);
  });

  it('message flow: a ladder between the endpoint and the server, requests and answers', () => {
    const page = src.flow('meter-1', 0, 10);
    const { lastFrame } = render(<FlowView endpoint="meter-1" addresses={flowAddresses(page.rows, '10.1.0.1:56830')} page={page} cursor={0} mark={null} search="" note={null} width={100} height={12} />);
    const f = lastFrame()!;
    expect(f).toContain('10.1.0.1:56830');
    expect(f).toContain('10.0.0.1:5683');
    expect(f).toMatch(/│─+ POST register \/rd ─+►│/);
    expect(f).toMatch(/│◄─+ 2\.01 register ─+│/);
    expect(f).toMatch(/│◄─+ GET read \/3\/0 ─+│/);
    expect(f).toContain('tlv 29B');
    expectWidth(f, 100);
  });

  it('message flow: says how to get messages when the run has none', () => {
    const page = { rows: [], total: 0, offset: 0, unavailable: 'stored without --store-messages', seen: null, runMessages: 10 };
    const { lastFrame } = render(<FlowView endpoint="m" addresses={[]} page={page} cursor={0} mark={null} search="" note={null} width={80} height={5} />);
    expect(lastFrame()).toContain('--store-messages');
  });

  it('message dissection: header, options, payload records', () => {
    const m = flowRow(record(4, { type: 'ACK', code: '2.05', op: 'read', path: '/3/0', role: 'response', responseTo: 3, contentFormat: 11542,
      options: [{ number: 12, name: 'Content-Format', value: 11542 }], records: [{ path: '/3/0/0', name: 'Manufacturer', type: 'string', value: 'Acme\x1b[31m' }] }));
    const detail = { record: m.record(), bytes: Uint8Array.from([0x45, 0x00, 0x41, 0x1b, 0x5b, 0x32, 0x4a, 0x7f]), note: null, response: null };
    const { lastFrame } = render(<MessageView message={m} detail={detail} width={100} height={30} scroll={0} />);
    const f = lastFrame()!;
    expect(f).toContain('Frame 4');
    expect(f).toContain('request in #3');
    expect(f).toContain('ACK 2.05');
    // The bytes as tshark -x prints them: offset, hex, and ASCII with the escape as a dot.
    expect(f).toContain('Bytes (8, the frame as captured)');
    expect(f).toContain('0000  45 00 41 1b 5b 32 4a 7f');
    expect(f).toContain('E.A.[2J.');
    expect(f).toContain('Content-Format');
    expect(f).toContain('/3/0/0');
    expect(f).toContain('Manufacturer');
    expect(f).toContain('Acme\uFFFD[31m');
    expectClean(f);
  });

  it('events: newest first, severity, rule, endpoint, frame', () => {
    const page = src.events({ minSeverity: 'info', filter: '', offset: 0, limit: 10 });
    const { lastFrame } = render(<EventsView page={page} cursor={0} minSeverity="info" filter="" width={100} height={10} />);
    const f = lastFrame()!;
    const lines = f.split('\n');
    expect(lines[2]).toContain('info');
    expect(lines[6]).toContain('critical');
    expect(f).toContain('#14');
    expect(f).toContain('something high happened');
    expect(lines[1]).toMatch(/FRAME\s+ANSWER\s+MESSAGE/);
    expect(lines[6]).toMatch(/#10\s+4\.01\uFFFD\S*\s+something critical/);
    expect(lines[5]).toMatch(/#11\s+no ans\s+something high/);
    expect(lines[2]).toMatch(/#14\s+-\s+something info/);
    expectClean(f);
    expectWidth(f, 100);
  });

  it('event detail: the evidence and the frame number', () => {
    const e = src.eventRows[0];
    const { lastFrame } = render(<EventDetailView event={e} captureFile="fleet.pcap" width={100} height={20} scroll={0} />);
    const f = lastFrame()!;
    expect(f).toContain('CRITICAL');
    expect(f).toContain('rule-critical');
    expect(f).toContain('frame       10');
    expect(f).toContain('tshark -r fleet.pcap -Y frame.number==10');
    expect(f).toContain('path: /0/0');
    expect(f).toMatch(/outcome\s+refused: 4\.01\uFFFD\[2J in frame 99 at /);
    const unanswered = render(<EventDetailView event={src.eventRows[1]} width={100} height={20} scroll={0} />).lastFrame()!;
    expect(unanswered).toMatch(/outcome\s+no answer \(known at /);
    expect(render(<EventDetailView event={src.eventRows[2]} width={100} height={20} scroll={0} />).lastFrame()).not.toContain('outcome');
    expectClean(f);
  });

  it('help lists the keys of the view it was opened from and of every view, from the key tables', () => {
    const { lastFrame } = render(<HelpView context="endpoints" state={null} width={100} height={30} />);
    const f = lastFrame()!;
    expect(f).toContain('Keys: Endpoints');
    for (const b of [...KEY_TABLES.endpoints, ...GLOBAL_KEYS]) {
      expect(f).toContain(b.label);
      expect(f).toContain(b.help.slice(0, 30));
    }
    expect(f).toContain('quit');
    expectWidth(f, 100);
  });
});

describe('dashboard navigation', () => {
  it('Tab, Enter, Esc, / and q move between the views', async () => {
    const src = new FakeSource();
    const { lastFrame, stdin, frames } = render(<Dashboard source={src} title="test.db" width={100} height={30} />);
    await waitFor(lastFrame, 'Top talkers');
    stdin.write('\t');
    await waitFor(lastFrame, 'ENDPOINT');
    stdin.write('j');
    await waitFor(lastFrame, '2/3');
    stdin.write('/');
    await waitFor(lastFrame, 'filter:');
    stdin.write('meter-2');
    await waitFor(lastFrame, '1/1');
    stdin.write('\r');
    await tick();
    stdin.write('\r');
    await waitFor(lastFrame, 'Registration history');
    expect(lastFrame()).toContain('meter-2');
    stdin.write('f');
    await waitFor(lastFrame, 'Message flow');
    stdin.write('\r');
    await waitFor(lastFrame, 'Frame 4');
    stdin.write('\x1b');
    await waitFor(lastFrame, 'Message flow');
    stdin.write('5');
    await waitFor(lastFrame, 'severity ≥ info');
    stdin.write('s');
    await waitFor(lastFrame, 'severity ≥ low');
    stdin.write('d');
    await waitFor(lastFrame, 'Evidence');
    stdin.write('?');
    await tick();
    expect(lastFrame()).toContain('Keys');
    stdin.write('x');
    await tick();
    expect(lastFrame()).not.toContain('Keys');
    expect(frames.length).toBeGreaterThan(5);
  });

  it('keys that arrive in one chunk are taken one at a time', async () => {
    const src = new FakeSource();
    const { lastFrame, stdin } = render(<Dashboard source={src} title="t" width={100} height={30} />);
    await waitFor(lastFrame, 'Top talkers');
    stdin.write('2jj\r');
    await waitFor(lastFrame, 'Registration history');
    expect(lastFrame()).toContain('meter-0  registered  10.1.0.1:56830');
  });

  it('Backspace in a chunk with other keys erases, and Ctrl-U in a chunk clears: no control character reaches the filter', async () => {
    const src = new FakeSource();
    const { lastFrame, stdin } = render(<Dashboard source={src} title="t" width={100} height={30} />);
    await waitFor(lastFrame, 'Top talkers');
    stdin.write('2/meter-1\x7f2');
    await waitFor(lastFrame, 'filter: meter-2█');
    stdin.write('\r');
    await waitFor(lastFrame, '1/1');
    expect(lastFrame()).toContain('filter: meter-2');
    expect(lastFrame()).not.toContain('\uFFFD2');
    stdin.write('/xyz\x15meter-0\r');
    await waitFor(lastFrame, 'filter: meter-0');
    expect(lastFrame()).toContain('1/1');
  });

  it('/ reopened shows the filter in force; typing replaces it rather than appending to it', async () => {
    const src = new FakeSource();
    const { lastFrame, stdin } = render(<Dashboard source={src} title="t" width={100} height={30} />);
    await waitFor(lastFrame, 'Top talkers');
    stdin.write('2/meter-2\r');
    await waitFor(lastFrame, '1/1');
    stdin.write('/');
    await waitFor(lastFrame, 'Ctrl-U clear');
    expect(lastFrame()).toContain('filter: meter-2█');
    stdin.write('meter-0');
    await waitFor(lastFrame, 'filter: meter-0█');
    stdin.write('\r');
    await waitFor(lastFrame, 'meter-0  ');
    expect(lastFrame()).toContain('Endpoints 1');
  });

  it('on 10,000 endpoints the endpoints view asks the source for one page of rows, whatever the keys', async () => {
    const src = new FakeSource({ endpoints: 10_000 });
    const limits: number[] = [];
    const endpoints = src.endpoints.bind(src);
    src.endpoints = (q) => {
      limits.push(q.limit);
      return endpoints(q);
    };
    const { lastFrame, stdin } = render(<Dashboard source={src} title="t" width={100} height={30} />);
    await waitFor(lastFrame, 'Top talkers');
    stdin.write('2');
    await waitFor(lastFrame, '1/10,000');
    stdin.write('G');
    await waitFor(lastFrame, '10,000/10,000');
    stdin.write(' ');
    stdin.write('g');
    await waitFor(lastFrame, '1/10,000');
    expect(limits.length).toBeGreaterThan(0);
    expect(Math.max(...limits)).toBeLessThanOrEqual(30 - 3 - 2);
  });

  it('fits 80x24', async () => {
    const src = new FakeSource({ endpoints: 100 });
    const { lastFrame, stdin } = render(<Dashboard source={src} title="t" width={80} height={24} />);
    await waitFor(lastFrame, 'Top talkers');
    for (const key of ['1', '2', '3', '4', '5']) {
      stdin.write(key);
      await tick();
      expect(lastFrame()!.split('\n').length).toBeLessThanOrEqual(23);
      expectWidth(lastFrame(), 80);
    }
  });

  it('live: redraws only when the source version moves, at most every 100 ms', async () => {
    const src = new FakeSource();
    const { lastFrame, stdin, frames } = render(<Dashboard source={src} title="t" live width={100} height={30} />);
    await waitFor(lastFrame, 'Top talkers');
    stdin.write('2');
    await waitFor(lastFrame, 'ENDPOINT');
    await tick(350);
    const idle = frames.length;
    await tick(350);
    expect(frames.length).toBe(idle); // nothing changed: no redraw
    src.endpointRows.push({ ...src.endpointRows[0], name: 'meter-new' });
    for (let i = 0; i < 50; i++) src.v++; // 50 changes in a burst
    await waitFor(lastFrame, 'meter-new');
    await tick(250);
    expect(frames.length - idle).toBeLessThanOrEqual(3);
  });
});

describe('the investigation path: from an event to its packets', () => {
  /** meter-1's flow of 12 messages (frames 1..12): register, then updates, a ping and a malformed message. */
  function flowSource(): FakeSource {
    const messages = [
      record(1, { uriQuery: ['ep=meter-1'] }),
      record(2, { src: '10.0.0.1:5683', dst: '10.1.0.1:56830', type: 'ACK', code: '2.01', role: 'response', responseTo: 1, options: [] }),
      ...[3, 5, 7, 9].flatMap((f) => [
        record(f, { op: 'update', uriPath: '/rd/1', path: null }),
        record(f + 1, { src: '10.0.0.1:5683', dst: '10.1.0.1:56830', type: 'ACK', code: '2.04', op: 'update', role: 'response', responseTo: f, options: [] }),
      ]),
      record(11, { src: '10.0.0.1:5683', dst: '10.1.0.1:56830', type: 'CON', code: '0.00', op: 'ping', options: [], uriPath: null }),
      record(12, { type: 'RST', code: '0.00', op: 'ping', options: [], uriPath: null, role: 'response' }),
    ];
    const src = new FakeSource({ messages });
    src.eventRows = [{ ...src.eventRows[0], id: 1, endpoint: 'meter-1', frame: 7, rule: 'rogue-update', severity: 'high' }];
    return src;
  }

  it('a CoAP ping (CON 0.00, empty) is drawn as a ping, its RST as RST, an empty ACK as ACK', () => {
    const m = (type: string) => flowRow(record(1, { type, code: '0.00', options: [], uriPath: null }));
    expect([arrowLabel(m('CON')), arrowLabel(m('RST')), arrowLabel(m('ACK'))]).toEqual(['ping', 'RST', 'ACK']);
    const { lastFrame } = render(<MessageView message={m('CON')} detail={{ record: m('CON').record(), bytes: null, note: null, response: null }} width={100} height={10} scroll={0} />);
    expect(lastFrame()).toContain('CON 0.00 ping');
    expect(lastFrame()).toContain('CON ping');
  });

  it('the evidence is laid out as key: value lines, nested ones indented, not as JSON', () => {
    const lines = evidenceLines({ path: '/0/0', value: 'x\x1b[2J', limits: { min: 0, max: [1, 2] }, records: [{ path: '/3/0/0', v: 1 }], empty: {} }, '  ', 100).map(lineText);
    expect(lines).toEqual([
      '  path: /0/0', '  value: x\uFFFD[2J', '  limits:', '    min: 0', '    max: 1, 2', '  records:', '    -', '      path: /3/0/0', '      v: 1', '  empty: (none)',
    ]);
    expect(lines.join('\n')).not.toMatch(/[{}"]/);
    // Hostile depth and size end in a bounded number of lines.
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(evidenceLines(deep, '', 80).length).toBeLessThanOrEqual(8);
    expect(evidenceLines(Array.from({ length: 5000 }, (_, i) => ({ i })), '', 80).length).toBeLessThanOrEqual(502);
  });

  it('the flow title counts the flow\'s messages and the run\'s apart, and says when only the newest are kept', () => {
    const page = { rows: [], total: 45, offset: 0, unavailable: null, seen: 45, runMessages: 122 };
    expect(lineText(flowTitle('meter-2', page))).toBe('Message flow meter-2  45 messages (the run has 122)');
    expect(lineText(flowTitle('meter-2', { ...page, total: 200, seen: 1234 }))).toBe('Message flow meter-2  the newest 200 of 1,234 messages kept (the run has 122)');
    expect(lineText(flowTitle(null, { ...page, total: 122, seen: 122 }))).toBe('Every message of the run  122 messages');
  });

  it('peer columns keep their order while the flow scrolls (new addresses come after the known ones)', () => {
    const a = flowRow(record(1, { src: '10.1.0.1:56830', dst: '10.0.0.2:5683' }));
    const b = flowRow(record(2, { src: '10.0.0.9:5683', dst: '10.1.0.1:56830' }));
    const known = flowAddresses([a], '10.1.0.1:56830');
    expect(known).toEqual(['10.1.0.1:56830', '10.0.0.2:5683']);
    // The next page shows 10.0.0.9 first: it still comes after 10.0.0.2.
    expect(flowAddresses([b, a], '10.1.0.1:56830', known)).toEqual(['10.1.0.1:56830', '10.0.0.2:5683', '10.0.0.9:5683']);
  });

  it('Enter on an event opens its messages: a frame column, the event\'s frame selected and marked; g goes to a frame, / searches', async () => {
    const src = flowSource();
    const { lastFrame, stdin } = render(<Dashboard source={src} title="t" width={100} height={30} />);
    await waitFor(lastFrame, 'Top talkers');
    stdin.write('5');
    await waitFor(lastFrame, 'rogue-update');
    stdin.write('\r');
    let f = await waitFor(lastFrame, '▶ event frame #7');
    expect(f).toContain('FRAME');
    const marked = f.split('\n').find((l) => l.startsWith('▶'))!;
    expect(marked).toMatch(/^▶#7 .*POST update \/rd\/1/);
    expect(f).toMatch(/ #11 .*◄─+ ping ─+│/);
    stdin.write('g');
    await waitFor(lastFrame, 'go to frame:');
    stdin.write('4\r');
    await waitFor(lastFrame, 'g frame');
    stdin.write('/');
    await waitFor(lastFrame, 'search:');
    stdin.write('register\r');
    f = await waitFor(lastFrame, 'n/N next');
    expect(f).toContain('▶ event frame #7  search: register');
    stdin.write('\x1b');
    await waitFor(lastFrame, 'severity ≥ info');
  });

  it('ui --event opens on the event\'s messages', async () => {
    const src = flowSource();
    const { lastFrame } = render(<Dashboard source={src} title="t" width={100} height={30} initialEvent={1} />);
    const f = await waitFor(lastFrame, '▶ event frame #7');
    expect(f).toContain('Message flow meter-1');
  });

  it('"● live" while the source is live, gone once the run ended', async () => {
    const src = new FakeSource();
    src.live = true;
    const { lastFrame } = render(<Dashboard source={src} title="t" live width={100} height={30} />);
    await waitFor(lastFrame, '● live');
    src.live = false;
    src.v++;
    const until = Date.now() + 2000;
    while (lastFrame()!.includes('● live') && Date.now() < until) await tick(20);
    expect(lastFrame()).not.toContain('● live');
  });

  it('a new high-severity event raises a banner naming its rule and endpoint; x dismisses it; older events do not', async () => {
    const src = new FakeSource();
    const { lastFrame, stdin } = render(<Dashboard source={src} title="t" live width={100} height={30} />);
    await waitFor(lastFrame, 'Top talkers');
    expect(lastFrame()).not.toContain('▲');
    src.eventRows.push({ ...src.eventRows[1], id: 6, rule: 'rogue-firmware', endpoint: 'meter-9', frame: 77 });
    src.v++;
    const f = await waitFor(lastFrame, '▲ HIGH rogue-firmware on meter-9 (frame #77)');
    expect(f.split('\n').length).toBeLessThanOrEqual(29);
    stdin.write('x');
    const until = Date.now() + 2000;
    while (lastFrame()!.includes('▲') && Date.now() < until) await tick(20);
    expect(lastFrame()).not.toContain('▲');
  });
});

describe('the Messages view, the detail and s in the dashboard', () => {
  it('6 lists every message with its columns; / filters; Enter shows the detail with hex; s writes through the source and says so in one line', async () => {
    const src = new FakeSource();
    const { lastFrame, stdin } = render(<Dashboard source={src} title="t" width={100} height={30} />);
    await waitFor(lastFrame, 'Top talkers');
    stdin.write('6');
    let f = await waitFor(lastFrame, 'oldest first');
    expect(f).toContain('Messages 4');
    expect(f).toMatch(/#1 .*10\.1\.0\.1:56830→10\.0\.0\.1:5683 CON +POST +register +meter-1 +\/rd +link/);
    expect(f).toMatch(/#3 .*CON +GET +read/);
    expectWidth(f, 100);
    stdin.write('/');
    await waitFor(lastFrame, 'filter:');
    stdin.write('op:read\r');
    f = await waitFor(lastFrame, 'Messages 2 of the run\'s 4');
    stdin.write('\r');
    f = await waitFor(lastFrame, 'Bytes (6');
    expect(f).toContain('response in #4 (2.05)');
    expect(f).toContain('0000  45 00 41 42 1b 5b');
    expect(f).toContain('E.AB.[');
    stdin.write('\x1b');
    await waitFor(lastFrame, 'Messages 2');
    stdin.write('s');
    f = await waitFor(lastFrame, 'save to pcap:');
    expect(f).toContain('coapwatch-1-3-4.pcap');
    stdin.write('\r');
    await waitFor(lastFrame, 'wrote frames to coapwatch-1-3-4.pcap');
    expect(src.saved).toEqual([{ sel: { kind: 'messages', filter: 'op:read' }, path: 'coapwatch-1-3-4.pcap' }]);
    // An error is one red line, and the next key clears it.
    stdin.write('s');
    await waitFor(lastFrame, 'save to pcap:');
    stdin.write('/no/such/x.pcap\r');
    await waitFor(lastFrame, 'not saved: cannot write /no/such/x.pcap');
    stdin.write('j');
    await waitFor(lastFrame, 's save');
  });
});

describe('retransmissions', () => {
  it('are marked ↻ in the flow and in the Messages list, and the detail names the message they repeat', () => {
    const first = flowRow(record(5));
    const again = { ...flowRow(record(9)), retransmissionOf: 5 };
    const parts = ['10.1.0.1:56830', '10.0.0.1:5683'];
    expect(lineText(ladderLine(again, parts, 100)).startsWith('↻#9 ')).toBe(true);
    expect(lineText(ladderLine(first, parts, 100)).startsWith(' #5 ')).toBe(true);
    expect(lineText(messageListLine(again, 100)).startsWith('↻#9 ')).toBe(true);
    // The event's own frame keeps its ▶.
    expect(lineText(ladderLine(again, parts, 100, true)).startsWith('▶#9 ')).toBe(true);
    const { lastFrame } = render(<MessageView message={again} detail={{ record: again.record(), bytes: null, note: 'no bytes here', response: null }} width={100} height={12} scroll={0} />);
    expect(lastFrame()).toContain('↻ retransmission of #5');
    expect(lastFrame()).toContain('no bytes here');
  });
});
