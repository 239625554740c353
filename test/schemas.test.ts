import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

const kinds = ['image', 'environment', 'secret'] as const;
const load = (kind: string) => JSON.parse(readFileSync(`schemas/${kind}.schema.json`, 'utf8'));

/** Every schema node that names a property, with its path, for the description check. */
function properties(node: unknown, path: string, out: [string, Record<string, unknown>][]): void {
  if (node === null || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  for (const [key, value] of Object.entries((schema.properties as Record<string, unknown>) ?? {})) {
    out.push([`${path}.${key}`, value as Record<string, unknown>]);
    properties(value, `${path}.${key}`, out);
  }
  for (const key of ['items', 'additionalProperties']) if (schema[key]) properties(schema[key], `${path}[]`, out);
  for (const key of ['anyOf', 'oneOf']) for (const branch of (schema[key] as unknown[]) ?? []) properties(branch, path, out);
  for (const [name, def] of Object.entries((schema.$defs as Record<string, unknown>) ?? {})) properties(def, `#${name}`, out);
}

test.each(kinds)('%s schema: draft 2020-12, a stable $id, compiles strictly, a description on every property', (kind) => {
  const schema = load(kind);
  expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  expect(schema.$id).toBe(`https://raw.githubusercontent.com/coder/build-image/v1/schemas/${kind}.schema.json`);
  expect(() => new Ajv2020({ strict: true, allowUnionTypes: true }).compile(schema)).not.toThrow();
  const props: [string, Record<string, unknown>][] = [];
  properties(schema, kind, props);
  expect(props.length).toBeGreaterThan(3);
  const undocumented = props.filter(([, p]) => typeof p.description !== 'string' && !p.$ref).map(([path]) => path);
  expect(undocumented).toEqual([]);
});

test('the examples validate against the schemas as editors would see them', async () => {
  const { parse } = await import('yaml');
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
  const cases: [string, string][] = [
    ['image', 'examples/.coder/images/golden.yaml'],
    ['environment', 'examples/.coder/environments/team-a.yaml'],
    ['secret', 'examples/.coder/secrets/db.yaml'],
  ];
  for (const [kind, file] of cases) {
    const validate = ajv.compile(load(kind));
    expect(validate(parse(readFileSync(file, 'utf8')))).toBe(true);
  }
});

test('the compiled validators (src/templates/schema-validators.js) are current: run node scripts/compile-schemas.mjs', async () => {
  // @ts-expect-error plain ESM script without types
  const { compileSchemas, DECLARATIONS, OUTPUT } = await import('../scripts/compile-schemas.mjs');
  expect(readFileSync(OUTPUT, 'utf8')).toBe(compileSchemas());
  expect(readFileSync(OUTPUT.replace(/\.js$/, '.d.ts'), 'utf8')).toBe(DECLARATIONS);
  expect(compileSchemas()).toBe(compileSchemas());
});
