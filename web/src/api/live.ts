// The live feed: one shared WebSocket to /api/v1/ws (src/api/README.md) for every page. It opens
// with the first subscription and closes with the last, reconnects with exponential backoff and
// resubscribes after every reconnect. Pages read its state: while it is 'unavailable' (the
// socket has not opened after several tries) they fall back to polling.
import { useEffect, useRef, useState } from 'react';
import { getToken } from './client';

export type FeedState = 'connecting' | 'open' | 'reconnecting' | 'unavailable';
export type FeedMessage = { type: string; sub?: string; id?: string; [k: string]: unknown };
export type SubscriptionSpec = { telemetry: { devices: string[]; keys?: string[] } } | { alarms: true | { devices: string[] } };

type Handler = (m: FeedMessage) => void;
interface Sub { spec: SubscriptionSpec; handler: Handler }

// Failed attempts (without ever opening) before the page is told to poll instead.
export const UNAVAILABLE_AFTER = 3;
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];

export interface FeedOptions {
  url?: () => string;
  token?: () => string | null;
  socket?: (url: string) => WebSocket;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export class LiveFeed {
  private subs = new Map<string, Sub>();
  private stateListeners = new Set<(s: FeedState) => void>();
  private ws: WebSocket | null = null;
  private timer: unknown = null;
  private failures = 0;
  private next = 1;
  state: FeedState = 'connecting';

  constructor(private opts: FeedOptions = {}) {}

  private url(): string {
    if (this.opts.url) return this.opts.url();
    const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const token = (this.opts.token ?? getToken)() ?? '';
    return `${proto}//${window.location.host}/api/v1/ws?token=${encodeURIComponent(token)}`;
  }

  private setState(s: FeedState) {
    if (s === this.state) return;
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  onState(fn: (s: FeedState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  subscribe(spec: SubscriptionSpec, handler: Handler): () => void {
    const id = `s${this.next++}`;
    this.subs.set(id, { spec, handler });
    if (!this.ws && this.timer === null) this.connect();
    else if (this.ws?.readyState === WebSocket.OPEN && this.state === 'open') this.send({ type: 'subscribe', id, ...spec });
    return () => {
      this.subs.delete(id);
      if (this.ws?.readyState === WebSocket.OPEN) this.send({ type: 'unsubscribe', id });
      if (this.subs.size === 0) this.close();
    };
  }

  private send(m: object) {
    try {
      this.ws?.send(JSON.stringify(m));
    } catch {
      /* closing: the reconnect resubscribes */
    }
  }

  private connect() {
    this.timer = null;
    if (this.subs.size === 0) return;
    let ws: WebSocket;
    try {
      ws = this.opts.socket ? this.opts.socket(this.url()) : new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onmessage = (ev) => {
      let m: FeedMessage;
      try {
        m = JSON.parse(String(ev.data)) as FeedMessage;
      } catch {
        return;
      }
      if (m.type === 'welcome') {
        this.failures = 0;
        this.setState('open');
        for (const [id, s] of this.subs) this.send({ type: 'subscribe', id, ...s.spec });
        return;
      }
      const id = m.sub ?? m.id;
      if (id) this.subs.get(id)?.handler(m);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.retry();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  private retry() {
    if (this.subs.size === 0) return;
    this.failures++;
    this.setState(this.failures >= UNAVAILABLE_AFTER ? 'unavailable' : 'reconnecting');
    const delay = BACKOFF_MS[Math.min(this.failures - 1, BACKOFF_MS.length - 1)];
    this.timer = (this.opts.setTimer ?? setTimeout)(() => this.connect(), delay);
  }

  close() {
    if (this.timer !== null) (this.opts.clearTimer ?? ((t) => clearTimeout(t as number)))(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close();
    }
    this.failures = 0;
    this.setState('connecting');
  }
}

let shared: LiveFeed | null = null;
export function liveFeed(): LiveFeed {
  if (!shared) shared = new LiveFeed();
  return shared;
}
// Tests swap the shared feed for one over a fake socket.
export function setLiveFeed(f: LiveFeed | null) {
  shared = f;
}

// Subscribes while mounted (spec null: not at all) and returns the feed's state. The handler may
// change between renders without resubscribing.
export function useLiveSubscription(spec: SubscriptionSpec | null, handler: Handler): FeedState {
  const feed = liveFeed();
  const [state, setState] = useState<FeedState>(feed.state);
  const ref = useRef(handler);
  ref.current = handler;
  const key = spec ? JSON.stringify(spec) : '';
  useEffect(() => feed.onState(setState), [feed]);
  useEffect(() => {
    if (!key) return;
    const off = feed.subscribe(JSON.parse(key) as SubscriptionSpec, (m) => ref.current(m));
    setState(feed.state);
    return off;
  }, [feed, key]);
  return state;
}
