import { LiveFeed, UNAVAILABLE_AFTER, type FeedState } from '../api/live';
import { FakeSocket } from './helpers';

function feed() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const states: FeedState[] = [];
  const f = new LiveFeed({
    url: () => 'ws://test/api/v1/ws?token=t',
    socket: (url) => { const s = new FakeSocket(url); sockets.push(s); return s as unknown as WebSocket; },
    setTimer: (fn, ms) => { timers.push({ fn, ms }); return timers.length; },
    clearTimer: () => {},
  });
  f.onState((s) => states.push(s));
  return { f, sockets, timers, states };
}

describe('live feed', () => {
  it('opens with the first subscription and subscribes after the welcome', () => {
    const { f, sockets, states } = feed();
    const got: unknown[] = [];
    f.subscribe({ telemetry: { devices: ['d1'] } }, (m) => got.push(m));
    expect(sockets).toHaveLength(1);
    expect(sockets[0].sent).toEqual([]); // nothing before the welcome
    sockets[0].open();
    expect(states).toEqual(['open']);
    expect(sockets[0].sent).toEqual([{ type: 'subscribe', id: 's1', telemetry: { devices: ['d1'] } }]);
    sockets[0].push({ type: 'telemetry', sub: 's1', deviceId: 'd1', samples: [{ key: 'temp', ts: 1, value: 20.5 }] });
    sockets[0].push({ type: 'telemetry', sub: 's9', deviceId: 'd9', samples: [] }); // not ours
    expect(got).toEqual([{ type: 'telemetry', sub: 's1', deviceId: 'd1', samples: [{ key: 'temp', ts: 1, value: 20.5 }] }]);
  });

  it('reconnects with growing backoff and resubscribes every subscription', () => {
    const { f, sockets, timers, states } = feed();
    f.subscribe({ alarms: true }, () => {});
    f.subscribe({ telemetry: { devices: ['d1'] } }, () => {});
    sockets[0].open();
    sockets[0].drop();
    expect(states[states.length - 1]).toBe('reconnecting');
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    timers[0].fn();
    sockets[1].drop();
    expect(timers.map((t) => t.ms)).toEqual([1000, 2000]);
    timers[1].fn();
    sockets[2].open();
    expect(states[states.length - 1]).toBe('open');
    expect(sockets[2].sent.map((m) => m.id)).toEqual(['s1', 's2']);
    expect(sockets[2].sent[0]).toEqual({ type: 'subscribe', id: 's1', alarms: true });
  });

  it('tells pages to poll when the socket never opens, and keeps trying', () => {
    const { f, sockets, timers, states } = feed();
    f.subscribe({ alarms: true }, () => {});
    for (let i = 0; i < UNAVAILABLE_AFTER; i++) {
      sockets[i].drop();
      timers[i].fn();
    }
    expect(states).toContain('unavailable');
    expect(f.state).toBe('unavailable');
    expect(sockets.length).toBe(UNAVAILABLE_AFTER + 1);
    sockets[sockets.length - 1].open();
    expect(f.state).toBe('open');
  });

  it('unsubscribes on the socket and closes with the last subscriber', () => {
    const { f, sockets } = feed();
    const off1 = f.subscribe({ alarms: true }, () => {});
    const off2 = f.subscribe({ telemetry: { devices: ['d1'] } }, () => {});
    sockets[0].open();
    off1();
    expect(sockets[0].sent[sockets[0].sent.length - 1]).toEqual({ type: 'unsubscribe', id: 's1' });
    expect(sockets[0].readyState).toBe(1);
    off2();
    expect(sockets[0].readyState).toBe(3);
    expect(f.state).toBe('connecting');
  });
});
