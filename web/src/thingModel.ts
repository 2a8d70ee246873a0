// Client-side check of a thing model, mirroring the server's validate_thing_model
// (src/model/thing_model.cpp) so the editor can point at the problem before saving.
export interface ThingModelCheck {
  ok: boolean;
  error?: string; // "thingModel.properties[0].type: …"
  counts?: { properties: number; events: number; services: number };
}

const TYPES = ['int', 'float', 'double', 'bool', 'string', 'enum', 'date', 'struct', 'array'];
const NUMERIC = ['int', 'float', 'double'];
const IDENT = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkData(o: Obj, path: string): string | null {
  if (typeof o.identifier !== 'string') return `${path}: "identifier" is required`;
  if (!IDENT.test(o.identifier)) return `${path}.identifier: "${o.identifier}" must start with a letter or _ and use letters, digits, _ . -`;
  if (o.name !== undefined && typeof o.name !== 'string') return `${path}.name: must be a string`;
  if (typeof o.type !== 'string') return `${path}: "type" is required`;
  if (!TYPES.includes(o.type)) return `${path}.type: "${o.type}" is not one of ${TYPES.join(', ')}`;
  for (const k of ['min', 'max'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'number') return `${path}.${k}: must be a number`;
    if (!NUMERIC.includes(o.type)) return `${path}.${k}: only numeric types have a range`;
  }
  if (typeof o.min === 'number' && typeof o.max === 'number' && o.min > o.max) return `${path}.min: must not exceed max`;
  if (o.type === 'enum' && (!isObj(o.values) || Object.keys(o.values).length === 0)) return `${path}.values: an enum needs an object of value → label`;
  return null;
}

function checkParams(o: Obj, key: string, path: string): string | null {
  const v = o[key];
  if (v === undefined) return null;
  if (!Array.isArray(v)) return `${path}.${key}: must be an array`;
  const seen = new Set<string>();
  for (let i = 0; i < v.length; i++) {
    const p = `${path}.${key}[${i}]`;
    if (!isObj(v[i])) return `${p}: must be an object`;
    const e = checkData(v[i] as Obj, p);
    if (e) return e;
    const id = (v[i] as Obj).identifier as string;
    if (seen.has(id)) return `${p}: duplicate identifier "${id}"`;
    seen.add(id);
  }
  return null;
}

export function checkThingModel(text: string): ThingModelCheck {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `thingModel: not valid JSON (${(e as Error).message})` };
  }
  if (!isObj(root)) return { ok: false, error: 'thingModel: must be a JSON object' };
  for (const k of Object.keys(root))
    if (!['properties', 'events', 'services'].includes(k)) return { ok: false, error: `thingModel.${k}: unknown section (properties, events, services)` };
  const counts = { properties: 0, events: 0, services: 0 };
  for (const section of ['properties', 'events', 'services'] as const) {
    const list = root[section];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return { ok: false, error: `thingModel.${section}: must be an array` };
    const seen = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      const path = `thingModel.${section}[${i}]`;
      const o = list[i];
      if (!isObj(o)) return { ok: false, error: `${path}: must be an object` };
      let e: string | null = null;
      if (section === 'properties') {
        e = checkData(o, path);
        if (!e && o.access !== undefined && !['r', 'rw', 'w'].includes(o.access as string)) e = `${path}.access: "${String(o.access)}" is not one of r, rw, w`;
      } else {
        if (typeof o.identifier !== 'string') e = `${path}: "identifier" is required`;
        else if (!IDENT.test(o.identifier)) e = `${path}.identifier: "${o.identifier}" is not a valid identifier`;
        else if (section === 'events') {
          if (o.type !== undefined && !['info', 'alert', 'fault'].includes(o.type as string)) e = `${path}.type: "${String(o.type)}" is not one of info, alert, fault`;
          else e = checkParams(o, 'outputs', path);
        } else {
          if (o.callType !== undefined && !['sync', 'async'].includes(o.callType as string)) e = `${path}.callType: "${String(o.callType)}" is not one of sync, async`;
          else e = checkParams(o, 'inputs', path) ?? checkParams(o, 'outputs', path);
        }
      }
      if (e) return { ok: false, error: e };
      const id = o.identifier as string;
      if (seen.has(id)) return { ok: false, error: `${path}: duplicate identifier "${id}"` };
      seen.add(id);
    }
    counts[section] = list.length;
  }
  return { ok: true, counts };
}

export const EXAMPLE_THING_MODEL = {
  properties: [
    { identifier: 'temperature', name: '温度', type: 'float', unit: '°C', min: -40, max: 150, access: 'r' },
    { identifier: 'spindle_speed', name: '主轴转速', type: 'int', unit: 'r/min', min: 0, max: 24000, access: 'r' },
    { identifier: 'running', name: '运行状态', type: 'bool', access: 'r' },
  ],
  events: [{ identifier: 'overheat', name: '过热', type: 'alert', outputs: [{ identifier: 'temperature', type: 'float' }] }],
  services: [{ identifier: 'setSpeed', name: '设定转速', callType: 'sync', inputs: [{ identifier: 'rpm', type: 'int', min: 0, max: 24000 }] }],
};
