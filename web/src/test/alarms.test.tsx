import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { LiveFeed, setLiveFeed } from '../api/live';
import type { Alarm } from '../api/types';
import { AlarmsPage } from '../pages/Alarms';
import { FakeSocket, renderRoute, signIn, stubApi } from './helpers';

const alarm = (over: Partial<Alarm>): Alarm => ({
  id: 'a1', tenantId: 'T', deviceId: 'd1', enterpriseId: 'e1', parkId: '', type: 'HighTemp', severity: 'major', status: 'active',
  acknowledged: false, cleared: false, startTs: 1_700_000_000_000, lastTs: 1_700_000_000_000, count: 3, ackTs: 0, ackBy: '',
  clearTs: 0, clearBy: '', details: { temperature: 95.5 }, updatedTs: 0, ...over,
});

function setup(role: 'engineer' | 'viewer' = 'engineer') {
  signIn(role);
  const store = { alarms: [alarm({}), alarm({ id: 'a2', type: 'Vibration', severity: 'critical', deviceId: 'd2' })] };
  const calls = stubApi({
    'GET /api/v1/alarms': (c) => {
      const sev = c.query.get('severity')?.split(',');
      const st = c.query.get('status')?.split(',');
      return { items: store.alarms.filter((a) => (!sev || sev.includes(a.severity)) && (!st || st.includes(a.status))
        && (!c.query.get('deviceId') || a.deviceId === c.query.get('deviceId'))), next: null };
    },
    'GET /api/v1/alarms/counts': () => ({ total: 2, bySeverity: { critical: 1, major: 1, minor: 0, warning: 0 }, byStatus: {} }),
    'GET /api/v1/devices': () => ({ items: [{ id: 'd1', name: '1号机床' }, { id: 'd2', name: '2号机床' }], next: null }),
    'GET /api/v1/enterprises': () => ({ items: [], next: null }),
    'POST /api/v1/alarms/a1/ack': () => {
      store.alarms[0] = alarm({ status: 'acknowledged', acknowledged: true, ackBy: 'li.gong' });
      return store.alarms[0];
    },
    'POST /api/v1/alarms/a1/clear': () => { throw new Error('alarm a1 is already cleared'); },
    'GET /api/v1/alarms/a1': () => ({ ...store.alarms[0], history: [{ id: 'h1', alarmId: 'a1', ts: 1_700_000_000_000, action: 'created', actor: 'rule:boiler', severity: 'major', detail: { temperature: 95.5 } }] }),
  });
  const sockets: FakeSocket[] = [];
  setLiveFeed(new LiveFeed({ url: () => 'ws://x', socket: (u) => { const s = new FakeSocket(u); sockets.push(s); return s as unknown as WebSocket; } }));
  renderRoute('/alarms', '/alarms', <AlarmsPage />);
  return { calls, sockets, store };
}

// The OK button of the open Popconfirm (role queries are slow over Ant Design's DOM).
async function confirmButton(): Promise<HTMLElement> {
  let btn: HTMLElement | null = null;
  await waitFor(() => {
    const open = [...document.querySelectorAll('.ant-popover:not(.ant-popover-hidden) .ant-popconfirm-buttons .ant-btn-primary')];
    btn = (open[open.length - 1] as HTMLElement | undefined) ?? null;
    expect(btn).toBeTruthy();
  });
  return btn!;
}

const row = (type: string) => document.querySelector(`tr[data-alarm-type=${type}]`) as HTMLElement;

describe('alarms page', { timeout: 60_000 }, () => {
  afterEach(() => { vi.unstubAllGlobals(); setLiveFeed(null); localStorage.clear(); });

  it('lists uncleared alarms with counts by severity and filters by severity', async () => {
    const { calls } = setup();
    await waitFor(() => expect(row('HighTemp')).toBeTruthy());
    expect(row('Vibration')).toBeTruthy();
    expect(within(row('HighTemp')).getByText('1号机床')).toBeInTheDocument();
    expect(within(row('HighTemp')).getByText('重要')).toBeInTheDocument();
    const list = calls.filter((c) => c.path === '/api/v1/alarms');
    expect(list[0].query.get('status')).toBe('active,acknowledged');
    await waitFor(() => expect(within(screen.getByTestId('alarm-count-critical')).getByText('1')).toBeInTheDocument());
    fireEvent.click(screen.getByTestId('alarm-count-critical'));
    await waitFor(() => expect(row('HighTemp')).toBeFalsy());
    await waitFor(() => expect(row('Vibration')).toBeTruthy());
    const lists = calls.filter((c) => c.path === '/api/v1/alarms');
    expect(lists[lists.length - 1].query.get('severity')).toBe('critical');
  });

  it('acknowledges after confirmation and shows the server error of a failed clear', async () => {
    const { calls } = setup();
    await waitFor(() => expect(row('HighTemp')).toBeTruthy());
    fireEvent.click(within(row('HighTemp')).getByTestId('alarm-ack'));
    expect(calls.some((c) => c.method === 'POST')).toBe(false); // nothing before the confirmation
    fireEvent.click(await confirmButton());
    await waitFor(() => expect(within(row('HighTemp')).getByTestId('alarm-status')).toHaveTextContent('已确认'));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/v1/alarms/a1/ack']);
    expect(within(row('HighTemp')).queryByTestId('alarm-ack')).toBeNull();

    fireEvent.click(within(row('HighTemp')).getByTestId('alarm-clear'));
    fireEvent.click(await confirmButton());
    expect(await screen.findByText('alarm a1 is already cleared')).toBeInTheDocument();
    expect(screen.getByText('failed_precondition')).toBeInTheDocument();
  });

  it('opens the detail drawer with the triggering data and history', async () => {
    setup();
    await waitFor(() => expect(row('HighTemp')).toBeTruthy());
    fireEvent.click(within(row('HighTemp')).getByTestId('alarm-details'));
    expect(await screen.findByTestId('alarm-trigger')).toHaveTextContent('"temperature": 95.5');
    expect(within(screen.getByTestId('alarm-history')).getByText('产生')).toBeInTheDocument();
    expect(within(screen.getByTestId('alarm-history')).getByText(/rule:boiler/)).toBeInTheDocument();
  });

  it('refetches when the live feed reports an alarm, and hides writes from viewers', async () => {
    const { sockets, store, calls } = setup('viewer');
    await waitFor(() => expect(row('HighTemp')).toBeTruthy());
    expect(within(row('HighTemp')).queryByTestId('alarm-ack')).toBeNull();
    act(() => sockets[0].open());
    expect(sockets[0].sent).toContainEqual({ type: 'subscribe', id: expect.any(String), alarms: true });
    await waitFor(() => expect(screen.getByTestId('live-state')).toHaveAttribute('data-state', 'open'));
    store.alarms.push(alarm({ id: 'a3', type: 'Leak', severity: 'minor' }));
    const before = calls.length;
    const sub = sockets[0].sent[0].id as string;
    act(() => sockets[0].push({ type: 'alarm', sub, event: 'created', alarm: store.alarms[2] }));
    await waitFor(() => expect(row('Leak')).toBeTruthy());
    expect(calls.length).toBeGreaterThan(before);
  });
});
