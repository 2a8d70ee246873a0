import { checkThingModel, EXAMPLE_THING_MODEL } from '../thingModel';

describe('checkThingModel', () => {
  it('accepts the example and counts its parts', () => {
    expect(checkThingModel(JSON.stringify(EXAMPLE_THING_MODEL))).toEqual({ ok: true, counts: { properties: 3, events: 1, services: 1 } });
  });
  it.each([
    ['{', /not valid JSON/],
    ['[]', /must be a JSON object/],
    ['{"props":[]}', /thingModel.props: unknown section/],
    ['{"properties":[{"identifier":"1x","type":"int"}]}', /properties\[0\]\.identifier: "1x"/],
    ['{"properties":[{"identifier":"t","type":"real"}]}', /properties\[0\]\.type: "real" is not one of/],
    ['{"properties":[{"identifier":"t","type":"string","min":1}]}', /only numeric types have a range/],
    ['{"properties":[{"identifier":"t","type":"int","min":5,"max":1}]}', /min: must not exceed max/],
    ['{"properties":[{"identifier":"t","type":"enum"}]}', /values: an enum needs/],
    ['{"properties":[{"identifier":"t","type":"int"},{"identifier":"t","type":"int"}]}', /properties\[1\]: duplicate identifier "t"/],
    ['{"events":[{"identifier":"e","type":"panic"}]}', /events\[0\]\.type: "panic"/],
    ['{"services":[{"identifier":"s","inputs":[{"identifier":"x"}]}]}', /services\[0\]\.inputs\[0\]: "type" is required/],
  ])('rejects %s', (text, error) => {
    const r = checkThingModel(text);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(error);
  });
});
