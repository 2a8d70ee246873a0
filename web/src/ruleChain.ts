// Rule-chain editing helpers: JSON syntax errors with line and column, the server's validation
// errors grouped by the node they name, and the chain as a layered graph.
import type { RuleChainDefinition, RuleNode } from './api/types';

export interface JsonProblem { line: number; column: number; message: string }

// Line and column (1-based) of a character offset.
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

// Parses JSON; on a syntax error returns where it is (from the engine's message: "line L column
// C", or "position P", or the end of the text when it ended early).
export function parseJson(text: string): { value: unknown; problem: null } | { value: null; problem: JsonProblem } {
  try {
    return { value: JSON.parse(text), problem: null };
  } catch (e) {
    const raw = e instanceof Error ? e.message : String(e);
    const message = raw.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)/, '').trim();
    const lc = /line (\d+) column (\d+)/.exec(raw);
    if (lc) return { value: null, problem: { line: Number(lc[1]), column: Number(lc[2]), message } };
    const pos = /position (\d+)/.exec(raw);
    const at = lineColumn(text, pos ? Number(pos[1]) : text.length);
    return { value: null, problem: { ...at, message } };
  }
}

export interface GroupedErrors { chain: string[]; byNode: Record<string, string[]> }

// "node \"t\": params.high: must be a number" → byNode.t; "nodes[2]: …" → the id of node 2 when
// it has one; "duplicate node id \"x\"" → byNode.x; anything else is about the chain.
export function groupErrors(errors: string[], def: RuleChainDefinition | null): GroupedErrors {
  const out: GroupedErrors = { chain: [], byNode: {} };
  const add = (id: string, msg: string) => { (out.byNode[id] ??= []).push(msg); };
  for (const e of errors) {
    let m = /^node "([^"]*)": (.*)$/s.exec(e);
    if (m) { add(m[1], m[2]); continue; }
    m = /^nodes\[(\d+)\]: (.*)$/s.exec(e);
    const node = m ? def?.nodes?.[Number(m[1])] : undefined;
    if (m && node?.id) { add(node.id, m[2]); continue; }
    m = /^duplicate node id "([^"]*)"$/.exec(e);
    if (m) { add(m[1], e); continue; }
    out.chain.push(e);
  }
  return out;
}

export function nodesOf(def: unknown): RuleNode[] {
  const nodes = (def as RuleChainDefinition | null)?.nodes;
  return Array.isArray(nodes) ? nodes.filter((n) => n && typeof n === 'object') : [];
}

// Columns by distance from the root (breadth first); nodes not reached go to a last column.
export function layers(def: RuleChainDefinition): Map<string, { col: number; row: number }> {
  const nodes = nodesOf(def);
  const ids = new Set(nodes.map((n) => n.id));
  const next = new Map(nodes.map((n) => [n.id, Object.values(n.next ?? {}).flat().filter((x) => ids.has(x))]));
  const col = new Map<string, number>();
  const root = def.root && ids.has(def.root) ? def.root : nodes[0]?.id;
  if (root !== undefined) {
    col.set(root, 0);
    const queue = [root];
    while (queue.length) {
      const id = queue.shift()!;
      for (const n of next.get(id) ?? []) if (!col.has(n)) { col.set(n, col.get(id)! + 1); queue.push(n); }
    }
  }
  const last = Math.max(0, ...col.values()) + 1;
  const rows = new Map<number, number>();
  const out = new Map<string, { col: number; row: number }>();
  for (const n of nodes) {
    const c = col.get(n.id) ?? last;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    out.set(n.id, { col: c, row: r });
  }
  return out;
}

// An ECharts graph series: nodes at their layer, edges labelled with the relation; nodes with
// errors red, nodes on the last dry run's path green.
export function graphOption(def: RuleChainDefinition, errors: Record<string, string[]>, path: Set<string>, dark: boolean) {
  const pos = layers(def);
  const nodes = nodesOf(def);
  const text = dark ? '#e6e6e6' : '#1f1f1f';
  return {
    tooltip: { formatter: (p: { dataType: string; data: { name: string; type?: string; label?: unknown; value?: string } }) =>
      p.dataType === 'node' ? `${p.data.name} · ${p.data.type}` : p.data.value ?? '' },
    series: [{
      type: 'graph', layout: 'none', roam: true, edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 8,
      symbol: 'roundRect', symbolSize: [130, 40],
      label: { show: true, color: text, fontSize: 12, formatter: (p: { data: { name: string; type: string } }) => `${p.data.name}\n{t|${p.data.type}}`,
        rich: { t: { fontSize: 10, color: dark ? '#aaa' : '#666' } } },
      edgeLabel: { show: true, fontSize: 10, color: dark ? '#bbb' : '#555', formatter: (p: { data: { value: string } }) => p.data.value },
      lineStyle: { color: dark ? '#888' : '#999', width: 1.2, curveness: 0.1 },
      data: nodes.map((n) => {
        const p = pos.get(n.id) ?? { col: 0, row: 0 };
        const bad = !!errors[n.id]?.length;
        const hit = path.has(n.id);
        return {
          name: n.id, type: n.type, x: p.col * 190, y: p.row * 70,
          itemStyle: {
            color: bad ? (dark ? '#5c1b1b' : '#fff1f0') : hit ? (dark ? '#1d3b14' : '#f6ffed') : (dark ? '#1f2a3a' : '#f0f5ff'),
            borderColor: bad ? '#f5222d' : hit ? '#52c41a' : '#1668dc', borderWidth: bad || hit ? 2 : 1,
          },
        };
      }),
      links: nodes.flatMap((n) => Object.entries(n.next ?? {}).flatMap(([rel, targets]) =>
        (Array.isArray(targets) ? targets : []).filter((tgt) => pos.has(tgt)).map((tgt) => ({ source: n.id, target: tgt, value: rel })))),
    }],
  };
}

export const CHAIN_TEMPLATE: RuleChainDefinition = {
  root: 'temperature',
  nodes: [
    { id: 'temperature', type: 'filter', params: { keys: ['temperature'] }, next: { True: ['too-hot'] } },
    { id: 'too-hot', type: 'threshold', params: { key: 'temperature', high: 80, hysteresis: 5 },
      next: { Raised: ['raise'], Cleared: ['clear'] } },
    { id: 'raise', type: 'create_alarm', params: { alarmType: 'HighTemperature', severity: 'major' } },
    { id: 'clear', type: 'clear_alarm', params: { alarmType: 'HighTemperature' } },
  ],
};
