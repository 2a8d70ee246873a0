import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { JsonEditor } from '../components/JsonEditor';
import { RuleChainDetailPage } from '../pages/RuleChainDetail';
import { enterprisePatch, userPatch } from '../pages/Organisation';
import { CHAIN_TEMPLATE, groupErrors, layers, lineColumn, parseJson } from '../ruleChain';
import { renderRoute, signIn, stubApi } from './helpers';

// jsdom has no canvas: the graph is ECharts' business, not this test's.
vi.mock('../components/Chart', () => ({ Chart: ({ testId }: { testId?: string }) => <div data-testid={testId} /> }));

describe('rule-chain helpers', () => {
  it('places JSON syntax errors at a line and column', () => {
    expect(lineColumn('ab\ncd\nef', 4)).toEqual({ line: 2, column: 2 });
    const p = parseJson('{\n  "nodes": [\n    {"id": "a",, }\n  ]\n}').problem!;
    expect(p.line).toBe(3);
    expect(p.column).toBe(16);
    expect(p.message).not.toMatch(/position/);
    const end = parseJson('{\n  "root": "a",\n').problem!;
    expect(end.line).toBe(3);
    expect(parseJson('{"a": 1}')).toEqual({ value: { a: 1 }, problem: null });
  });

  it('groups the server validation errors by the node they name', () => {
    const def = { nodes: [{ id: 'a', type: 'nope' }, { id: 't', type: 'threshold' }, { id: '', type: 'log' }] };
    const g = groupErrors([
      'node "a": unknown type "nope"', 'node "a": next.True refers to unknown node "ghost"',
      'node "t": params.high: must be a number', 'duplicate node id "t"', 'nodes[2]: id is required', 'cycle: l → l',
    ], def);
    expect(g.byNode.a).toEqual(['unknown type "nope"', 'next.True refers to unknown node "ghost"']);
    expect(g.byNode.t).toEqual(['params.high: must be a number', 'duplicate node id "t"']);
    expect(g.chain).toEqual(['nodes[2]: id is required', 'cycle: l → l']);
  });

  it('lays the chain out in columns by distance from the root', () => {
    const pos = layers(CHAIN_TEMPLATE);
    expect(pos.get('temperature')).toEqual({ col: 0, row: 0 });
    expect(pos.get('too-hot')).toEqual({ col: 1, row: 0 });
    expect(pos.get('raise')).toEqual({ col: 2, row: 0 });
    expect(pos.get('clear')).toEqual({ col: 2, row: 1 });
  });

  it('builds PATCH bodies that leave out what the role may not change', () => {
    expect(enterprisePatch({ name: 'x', parkId: undefined, longitude: null, paid: true }, 'tenant-admin'))
      .toEqual({ name: 'x', parkId: '', creditCode: '', address: '', paid: true });
    expect(enterprisePatch({ name: 'x', parkId: 'p1', paid: true }, 'enterprise-admin')).toEqual({ name: 'x', creditCode: '', address: '' });
    expect(userPatch({ displayName: '王工', role: 'engineer', password: '', enterpriseId: undefined }))
      .toEqual({ displayName: '王工', role: 'engineer', enterpriseId: '' });
    expect(userPatch({ displayName: 'a', password: 'long-enough-1' })).toEqual({ displayName: 'a', password: 'long-enough-1' });
  });
});

function Editor() {
  const [v, setV] = useState('{"a": 1}');
  return <JsonEditor value={v} onChange={setV} testId="ed" />;
}

describe('JSON editor', () => {
  it('shows the syntax error with line and column, and clears it when fixed', () => {
    render(<Editor />);
    expect(screen.queryByTestId('json-error')).toBeNull();
    fireEvent.change(screen.getByTestId('ed'), { target: { value: '{\n  "a": 1,\n  "b": }' } });
    expect(screen.getByTestId('json-error')).toHaveTextContent(/JSON 语法错误（第 3 行，第 \d+ 列）/);
    fireEvent.change(screen.getByTestId('ed'), { target: { value: '{"b": 2}' } });
    expect(screen.queryByTestId('json-error')).toBeNull();
  });
});

describe('rule-chain page', { timeout: 60_000 }, () => {
  afterEach(() => { vi.unstubAllGlobals(); localStorage.clear(); });

  it('shows the server validation errors next to the node they name and refuses to save', async () => {
    signIn('tenant-admin');
    const calls = stubApi({
      'GET /api/v1/rulechains/c1': () => ({ id: 'c1', tenantId: 'T', name: '锅炉保护', description: '', enabled: false, version: 3,
        definition: CHAIN_TEMPLATE, updatedBy: 'li.gong', createdAt: 1, updatedAt: 2 }),
      'POST /api/v1/rulechains/validate': (c) => {
        const def = (c.body as { definition: typeof CHAIN_TEMPLATE }).definition;
        const high = def.nodes[1].params?.high;
        return typeof high === 'number' ? { valid: true, errors: [] }
          : { valid: false, errors: ['node "too-hot": params.high: must be a number', 'cycle: a → a'] };
      },
      'GET /api/v1/rulechains/c1/versions': () => ({ items: [], next: null }),
      'GET /api/v1/devices': () => ({ items: [], next: null }),
    });
    renderRoute('/rule-chains/c1', '/rule-chains/:id', <RuleChainDetailPage />);
    await waitFor(() => expect(screen.getByTestId('chain-valid')).toBeInTheDocument(), { timeout: 15_000 });
    expect(screen.getByTestId('chain-version')).toHaveTextContent('v3');
    const editor = screen.getByTestId('chain-editor') as HTMLTextAreaElement;
    fireEvent.change(editor, { target: { value: editor.value.replace('"high": 80', '"high": "hot"') } });
    await waitFor(() => expect(screen.getByTestId('node-error-too-hot')).toHaveTextContent('params.high: must be a number'), { timeout: 15_000 });
    expect(within(screen.getByTestId('node-too-hot')).getByText('threshold')).toBeInTheDocument();
    expect(screen.getByTestId('chain-errors')).toHaveTextContent('cycle: a → a');
    expect(screen.queryByTestId('node-error-raise')).toBeNull();
    expect(screen.getByTestId('chain-save')).toBeDisabled();
    fireEvent.change(editor, { target: { value: '{"nodes": [' } });
    expect(screen.getByTestId('json-error')).toHaveTextContent('第 1 行');
    expect(screen.getByTestId('chain-save')).toBeDisabled();
    expect(calls.filter((c) => c.method === 'PUT')).toEqual([]);
  });
});
